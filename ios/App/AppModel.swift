import FieldKit
import Foundation

/// Turns taps and decoded labels into `FieldKit` calls and the results into words, voice and
/// vibration. Decides nothing itself: which step a tap records, duplicates, the undo window and
/// every error come from the core. Mirrors ScanViewModel.kt.
@MainActor
final class AppModel: ObservableObject {
    enum Step: Equatable {
        case loading
        /// Not enrolled: the camera looks for the co-op's enrollment QR.
        case enroll
        /// The camera looks for a label.
        case scanning
        /// A label was read: 正常 / 异常.
        case scanned(ScanInfo)
        /// 异常 was tapped: which reason.
        case reasons(ScanInfo)
    }

    @Published private(set) var step: Step = .loading { didSet { camera.active.value = wantsCodes } }
    /// Reports not yet on the server (the offline badge).
    @Published private(set) var pending: Int64 = 0
    /// The last sync failed (usually no signal): the badge shows a crossed-out cloud.
    @Published private(set) var offline = false
    /// The last report, undoable until its `undoUntilMs`.
    @Published private(set) var undoable: Receipt?
    /// The last error, in words.
    @Published private(set) var message: String?

    let camera = Camera()
    /// The driver's and assistant's screens (they borrow the camera while on show).
    private(set) lazy var flows = FlowsModel(reports: self)
    private let feedback = Feedback()
    private var kit: FieldKit?
    private var busy = false
    private var undoTimer: Task<Void, Never>?
    private var statusTask: Task<Void, Never>?
    // The label stays in front of the camera after a tap: ignore the same text for a moment.
    private var lastText: String?
    private var lastTextAt = Date.distantPast

    private static let enrollPrefix = "fieldtrace://enroll?"
    private static let sameCodePause: TimeInterval = 3

    init() {
        camera.onText = { [weak self] text in self?.onCode(text) }
        Task {
            if let opened = await KitHolder.shared.enrolledKit() { start(opened) } else { step = .enroll }
        }
    }

    var wantsCodes: Bool { step == .enroll || step == .scanning }

    func onCode(_ text: String) {
        let now = Date()
        if busy || (text == lastText && now.timeIntervalSince(lastTextAt) < Self.sameCodePause) { return }
        lastText = text
        lastTextAt = now
        switch step {
        case .enroll where text.hasPrefix(Self.enrollPrefix):
            enroll(text)
        case .scanning:
            call({ await $0.scan(payload: text) }) { info in
                self.step = .scanned(info)
                self.message = nil
                let what = info.lot?.product ?? info.code
                self.feedback.say(Words.voice.text("say_scanned", what, Words.voice.step(info.nextStep)))
            }
        default:
            break
        }
    }

    func reportNormal() { call({ await $0.reportNormal() }, then: saved) }

    func chooseReason() {
        if case .scanned(let info) = step { step = .reasons(info) }
    }

    func reportAbnormal(_ reason: AbnormalReason) { call({ await $0.reportAbnormal(reason: reason) }, then: saved) }

    /// Back to the camera without recording anything.
    func cancel() { step = .scanning }

    func undo() {
        guard let receipt = undoable else { return }
        call({ await $0.undo(eventId: receipt.eventId) }) { _ in
            self.undoTimer?.cancel()
            self.undoable = nil
            self.message = nil
            self.feedback.confirmTwice()
            self.feedback.say(Words.voice.text("say_undone"))
            self.refreshPending()
        }
    }

    /// When the app becomes active and after each report. Offline, it fails quietly: the
    /// reports stay queued and the badge says so.
    func syncSoon() {
        guard let kit else { return }
        Task { _ = await kit.syncNow() }
    }

    private func enroll(_ qr: String) {
        busy = true
        Task {
            switch await KitHolder.shared.enroll(qrText: qr) {
            case .ok:
                feedback.confirm()
                feedback.say(Words.voice.text("say_enrolled"))
                if let opened = await KitHolder.shared.enrolledKit() { start(opened) }
                syncSoon()
            case .failed(let error):
                fail(error)
            }
            busy = false
        }
    }

    private func start(_ opened: FieldKit) {
        kit = opened
        step = .scanning
        camera.start()
        statusTask?.cancel()
        statusTask = Task {
            for await status in opened.syncStatus {
                pending = Int64(status.pending)
                offline = status.lastErrorKey != nil
            }
        }
    }

    private func saved(_ receipt: Receipt) {
        let voice = Words.voice
        let stepWords = receipt.step.map(voice.step) ?? ""
        let words: String
        if receipt.duplicate {
            words = voice.text("say_duplicate")
            feedback.confirm()
        } else if case .abnormal(let reason) = receipt.disposition {
            words = voice.text("say_saved_abnormal", voice.reason(reason), stepWords)
            feedback.confirmTwice()
        } else {
            words = voice.text("say_saved_normal", stepWords)
            feedback.confirm()
        }
        feedback.say(words)
        step = .scanning
        message = nil
        undoable = receipt.undoUntilMs == nil ? nil : receipt
        lastTextAt = Date()
        showUndo(until: receipt.undoUntilMs)
        refreshPending()
        syncSoon()
    }

    /// Hides the undo button when the core's window (10 s) closes.
    private func showUndo(until ms: Int64?) {
        undoTimer?.cancel()
        guard let ms else { return }
        let seconds = max(0, Double(ms) / 1000 - Date().timeIntervalSince1970)
        undoTimer = Task {
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            if !Task.isCancelled { undoable = nil }
        }
    }

    /// The badge after each tap, without waiting for the next sync status.
    private func refreshPending() {
        guard let kit else { return }
        Task { if let count = await kit.pendingCount().value { pending = count } }
    }

    /// Runs one core call, one at a time (a second tap while saving does nothing).
    private func call<T>(_ body: @escaping (FieldKit) async -> FieldResult<T>, then onOk: @escaping (T) -> Void) {
        guard let kit, !busy else { return }
        busy = true
        Task {
            switch await body(kit) {
            case .ok(let value): onOk(value)
            case .failed(let error): fail(error)
            }
            busy = false
        }
    }

    private func fail(_ error: FieldTraceError) {
        // The core says when enrollment is needed (not enrolled, revoked, bad credential).
        if case .EnrollmentNeeded = error { step = .enroll }
        message = Words.screen.error(error.key)
        feedback.error()
        feedback.say(Words.voice.error(error.key))
    }
}
