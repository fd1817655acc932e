import FieldKit
import Foundation

/// Holds the process's one `FieldKit`, shared by the screen and the background sync (the core
/// allows one sync listener per store, and two open handles would race on the same file).
/// Mirrors FieldTraceApp.kt.
actor KitHolder {
    static let shared = KitHolder()

    private var kit: FieldKit?
    private var enrolled = false
    /// Calls run one after another, like the Kotlin Mutex: an actor alone would let a second
    /// call in while the first awaits, and both could open the store.
    private var last: Task<Void, Never>?

    /// The store opened as the enrolled user, or nil while this phone is not enrolled.
    func enrolledKit() async -> FieldKit? {
        await serially { await self.openEnrolled() }
    }

    /// Enrolls from a scanned `fieldtrace://enroll?…` QR; the store reports as the enrolled user
    /// from then on (the core switches in place): no reopening.
    func enroll(qrText: String) async -> FieldResult<EnrollmentInfo> {
        await serially { await self.enrollNow(qrText: qrText) }
    }

    private func openEnrolled() async -> FieldKit? {
        if enrolled { return kit }
        if kit == nil, let path = try? Self.dbPath(), let opened = try? await FieldKit.openEnrolled(dbPath: path) {
            kit = opened
            enrolled = true
        }
        return enrolled ? kit : nil
    }

    private func enrollNow(qrText: String) async -> FieldResult<EnrollmentInfo> {
        let opened: FieldKit
        do {
            if let kit {
                opened = kit
            } else {
                // Never reported under: reports need enrollment, which switches the user.
                opened = try await FieldKit.open(dbPath: try Self.dbPath(), partyId: "unenrolled", role: .farmer)
                kit = opened
            }
        } catch {
            return .failed(error as? FieldTraceError ?? .Internal(key: "ffi_internal", detail: "\(error)"))
        }
        let result = await opened.enroll(qrText: qrText)
        if case .ok = result { enrolled = true }
        return result
    }

    private func serially<T>(_ body: @escaping () async -> T) async -> T {
        let previous = last
        let task = Task { () -> T in
            _ = await previous?.value
            return await body()
        }
        last = Task { _ = await task.value }
        return await task.value
    }

    /// Application Support, readable after the first unlock: the background sync runs while
    /// the phone is locked in a pocket.
    private static func dbPath() throws -> String {
        let dir = try FileManager.default.url(for: .applicationSupportDirectory, in: .userDomainMask,
                                              appropriateFor: nil, create: true)
        // iOS's default class already; set explicitly because a stricter app-wide default
        // (an entitlement) would stop the background sync. New files inherit the folder's class.
        try FileManager.default.setAttributes([.protectionKey: FileProtectionType.completeUntilFirstUserAuthentication],
                                              ofItemAtPath: dir.path)
        return dir.appendingPathComponent("fieldtrace.db").path
    }
}
