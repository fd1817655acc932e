import SwiftUI

/// The iOS shell: the same screens as the Android app (one-tap reporting, and the role's flow
/// screens as tabs). All logic is in FieldKit.
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
            RootView(reports: model, flows: model.flows)
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
