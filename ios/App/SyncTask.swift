import BackgroundTasks
import FieldKit

/// Background sync. iOS has no "when a network appears" job like Android's WorkManager: a
/// BGAppRefreshTask runs when the system allows, and the app also syncs when it becomes active
/// and after each report. Offline attempts cost nothing; reports stay queued in the store.
enum SyncTask {
    /// Also listed under BGTaskSchedulerPermittedIdentifiers in the Info.plist (project.yml).
    static let identifier = "org.fieldtrace.sync"

    /// At launch, before the app finishes launching (BGTaskScheduler's rule).
    static func register() {
        BGTaskScheduler.shared.register(forTaskWithIdentifier: identifier, using: nil) { task in
            guard let refresh = task as? BGAppRefreshTask else { return task.setTaskCompleted(success: false) }
            handle(refresh)
        }
    }

    /// When the app goes to the background: ask for a run in 15 minutes or later.
    static func schedule() {
        let request = BGAppRefreshTaskRequest(identifier: identifier)
        request.earliestBeginDate = Date(timeIntervalSinceNow: 15 * 60)
        try? BGTaskScheduler.shared.submit(request)
    }

    private static func handle(_ task: BGAppRefreshTask) {
        schedule()
        let work = Task {
            guard let kit = await KitHolder.shared.enrolledKit() else { return task.setTaskCompleted(success: true) }
            let result = await kit.syncNow()
            task.setTaskCompleted(success: result.value != nil)
        }
        task.expirationHandler = { work.cancel() }
    }
}
