import Foundation
@_exported import FieldKitFFI

/// The app's handle on FieldTrace: the generated `FieldTrace` with async/await, a stream of sync
/// status and `FieldResult`s instead of throwing. Only adapters: every rule lives in the Rust
/// core. Mirrors `FieldKit` in android/fieldkit. Open one per database file and keep it for the
/// app's life; `close()` it at the end.
///
/// The core's calls block on disk, so each one here runs on a background queue; call them from
/// any task, the main actor included.
public final class FieldKit: @unchecked Sendable {
    /// The generated object, for anything this layer does not wrap.
    public let trace: FieldTrace
    private let io = DispatchQueue(label: "org.fieldtrace.fieldkit.io", qos: .userInitiated)
    private let relay: StatusRelay

    private init(trace: FieldTrace) throws {
        self.trace = trace
        relay = StatusRelay(initial: trace.syncStatus())
        // One listener per store in the core; the relay fans it out to every stream below.
        try trace.setSyncListener(listener: relay)
    }

    /// Opens (creating if needed) the database at `dbPath` for `partyId` in `role`.
    /// Throws `FieldTraceError` when the file cannot be opened: nothing works without it.
    public static func open(dbPath: String, partyId: String, role: Role) async throws -> FieldKit {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result {
                    try FieldKit(trace: FieldTrace.open(dbPath: dbPath, config: FieldTraceConfig(partyId: partyId, role: role)))
                })
            }
        }
    }

    /// Opens the database at `dbPath` as the user this phone is enrolled as. Throws
    /// `FieldTraceError.EnrollmentNeeded` when it is not enrolled: open with `open` and a sign-in
    /// guess, then `enroll` in place (Kotlin: `openEnrolled`).
    public static func openEnrolled(dbPath: String) async throws -> FieldKit {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try FieldKit(trace: FieldTrace.open(dbPath: dbPath, config: nil)) })
            }
        }
    }

    /// Who reports from this phone now (the enrolled user once `enroll` succeeded).
    public func user() async -> FieldResult<FieldTraceConfig> { await call { self.trace.user() } }

    /// The latest sync status (Kotlin: `syncStatus.value`).
    public var latestSyncStatus: SyncStatus { relay.latest }

    /// Sync status for the offline badge: the current one at once, then every change (Kotlin:
    /// the `syncStatus` StateFlow). Each access makes a new stream, so several views can watch.
    public var syncStatus: AsyncStream<SyncStatus> { relay.stream() }

    /// Who this phone is enrolled as, or nil before enrollment.
    public func enrollment() async -> FieldResult<EnrollmentInfo?> { await call { try self.trace.enrollment() } }

    /// Enrolls with the co-op named by a scanned enrollment QR and reports as the enrolled user
    /// from then on: no reopening. Safe to retry.
    public func enroll(qrText: String) async -> FieldResult<EnrollmentInfo> {
        await FieldResult.of { try await trace.enroll(qrText: qrText) }
    }

    /// Reads a scanned payload; the following report is about this code.
    public func scan(payload: String) async -> FieldResult<ScanInfo> { await call { try self.trace.scan(payload: payload) } }

    /// 正常: the scanned goods are fine at this step.
    public func reportNormal() async -> FieldResult<Receipt> { await call { try self.trace.reportNormal() } }

    /// 异常: something is wrong with the scanned goods.
    public func reportAbnormal(reason: AbnormalReason, note: String? = nil, photoSha256: String? = nil) async -> FieldResult<Receipt> {
        await call { try self.trace.reportAbnormal(reason: reason, note: note, photo: photoSha256) }
    }

    /// Takes back a report made on this phone in the last 10 seconds.
    public func undo(eventId: String) async -> FieldResult<Receipt> { await call { try self.trace.undo(eventId: eventId) } }

    /// Everything recorded about a code, oldest first.
    public func history(code: String) async -> FieldResult<[HistoryItem]> { await call { try self.trace.history(code: code) } }

    /// Reports waiting for the network.
    public func pendingCount() async -> FieldResult<Int64> { await call { try Int64(self.trace.pendingCount()) } }

    /// Distinct codes this user recorded today.
    public func todayCount() async -> FieldResult<Int64> { await call { try Int64(self.trace.todayCount()) } }

    /// Pushes waiting reports, then pulls what other phones recorded.
    public func syncNow() async -> FieldResult<SyncReport> { await FieldResult.of { try await trace.syncNow() } }

    /// Pushes without pulling: for a short window of signal.
    public func pushNow() async -> FieldResult<SyncReport> { await FieldResult.of { try await trace.pushNow() } }

    /// Stops the status updates and ends the streams. The Rust object is freed when the last
    /// reference to `trace` goes (Swift has no explicit close for uniffi objects).
    public func close() {
        trace.clearSyncListener()
        relay.finish()
    }

    func call<T>(_ body: @escaping () throws -> T) async -> FieldResult<T> {
        await withCheckedContinuation { continuation in
            io.async { continuation.resume(returning: FieldResult(catching: body)) }
        }
    }
}

/// Receives the core's status updates (on a Rust thread) and fans them out to every
/// `AsyncStream` handed out, each starting with the latest status, like a StateFlow.
private final class StatusRelay: SyncListener, @unchecked Sendable {
    private let lock = NSLock()
    private var current: SyncStatus
    private var continuations: [UUID: AsyncStream<SyncStatus>.Continuation] = [:]

    init(initial: SyncStatus) { current = initial }

    var latest: SyncStatus { lock.locked { current } }

    func onStatus(status: SyncStatus) {
        // Quick and thread-safe: the core asks listeners to return at once.
        let targets = lock.locked { () -> [AsyncStream<SyncStatus>.Continuation] in
            current = status
            return Array(continuations.values)
        }
        targets.forEach { $0.yield(status) }
    }

    func stream() -> AsyncStream<SyncStatus> {
        // Only the newest status matters to a badge: a slow reader skips the ones between.
        AsyncStream(bufferingPolicy: .bufferingNewest(1)) { continuation in
            let id = UUID()
            let first = lock.locked { () -> SyncStatus in
                continuations[id] = continuation
                return current
            }
            continuation.yield(first)
            continuation.onTermination = { [weak self] _ in
                guard let self else { return }
                _ = self.lock.locked { self.continuations.removeValue(forKey: id) }
            }
        }
    }

    func finish() {
        let targets = lock.locked { () -> [AsyncStream<SyncStatus>.Continuation] in
            defer { continuations.removeAll() }
            return Array(continuations.values)
        }
        targets.forEach { $0.finish() }
    }
}

private extension NSLock {
    /// `NSLocking.withLock` needs iOS 16; this package supports iOS 15.
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}
