import SwiftUI

/// The iOS shell: the same one screen as the Android app. All logic is in FieldKit.
@main
struct FieldTraceApp: App {
    @Environment(\.scenePhase) private var phase
    @StateObject private var model = AppModel()

    init() {
        // BGTaskScheduler requires registration before launch finishes.
        SyncTask.register()
    }

    var body: some Scene {
        WindowGroup {
            ContentView(model: model)
        }
        .onChange(of: phase) { phase in
            switch phase {
            case .active:
                model.syncSoon()
            case .background:
                SyncTask.schedule()
            default:
                break
            }
        }
    }
}
