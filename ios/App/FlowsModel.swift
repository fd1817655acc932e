import FieldKit
import Foundation

/// The screens beside one-tap reporting (mirrors FlowsController.kt and the controllers next to
/// it): a driver's loading, handover and delivery, an assistant's piece counts. Every outcome is
/// the core's; this routes camera texts and turns answers into words, voice and vibration.
@MainActor
final class FlowsModel: ObservableObject {
    enum Mode: String, CaseIterable, Identifiable {
        case report, loading, handover, delivery, pieces
        var id: String { rawValue }
        var labelKey: String { "mode_\(rawValue)" }
    }

    enum HandoverStep {
        case collecting([String])
        case offered(HandoverOffer)
        case filed(HandoverReceipt)
        case waitingForOffer
        case checking(OfferReview, ReceivingProgress?)
        case accepted(HandoverAcceptance)
    }

    @Published private(set) var mode: Mode = .report
    @Published private(set) var modes: [Mode] = [.report]
    @Published private(set) var message: String?

    // Loading
    @Published private(set) var trip: String?
    @Published private(set) var building: [String]?
    @Published private(set) var progress: LoadingProgress?
    @Published private(set) var lastLoad: LoadScan?
    @Published private(set) var departed: DepartureReceipt?
    // Handover
    @Published private(set) var handoverStep: HandoverStep = .collecting([])
    @Published private(set) var alarm = false
    // Delivery
    @Published var deliveryTrip = ""
    @Published var recipient = ""
    @Published private(set) var deliveryScans: [String] = []
    @Published private(set) var photos: [String] = []
    @Published private(set) var delivered: DeliveryReceipt?
    // Pieces
    @Published private(set) var month = FlowsModel.monthKey(Date())
    @Published private(set) var pieces: PieceCounts?

    /// Owns this model (`AppModel.flows`): unowned, no cycle.
    private unowned let reports: AppModel
    private let feedback = Feedback()
    private var loading: Loading?
    private var handover: Handover?
    private var busy = false

    static let offerPrefix = "FTHO1:"
    static let receiptPrefix = "FTHR1:"

    init(reports: AppModel) { self.reports = reports }

    /// The role's screens, what the core lets that role record (FlowsController.modesFor).
    func refreshModes() {
        Task {
            guard let kit = await KitHolder.shared.enrolledKit(), case .ok(let user) = await kit.user() else { return }
            switch user.role {
            case .farmer: modes = [.report]
            case .assistant: modes = [.report, .pieces, .handover]
            case .driver: modes = [.report, .loading, .handover, .delivery]
            case .manager: modes = Mode.allCases
            }
        }
    }

    func show(_ next: Mode) {
        message = nil
        mode = next
        // The camera's texts go to the screen on show.
        reports.camera.onText = next == .report ? { [weak reports] in reports?.onCode($0) } : { [weak self] in self?.onCode($0) }
        reports.camera.active.value = next == .report ? reports.wantsCodes : true
        if next == .pieces { showPieces(month) }
    }

    func onCode(_ text: String) {
        switch mode {
        case .report, .pieces: return
        case .loading: loadingCode(text)
        case .handover: handoverCode(text)
        case .delivery:
            if deliveryTrip.isEmpty { deliveryTrip = text } else if !deliveryScans.contains(text) {
                deliveryScans.append(text)
                feedback.confirm()
            }
        }
    }

    // MARK: loading

    func startLoading(_ name: String) {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { return }
        (trip, building, progress, lastLoad, departed, loading) = (name, nil, nil, nil, nil, nil)
        call({ await $0.startLoading(trip: name) }, failed: { [weak self] error in
            guard let self, error.key == "trip_no_manifest" else { return }
            self.message = nil
            self.building = []
            self.say("say_build_manifest")
        }) { [weak self] opened in
            self?.loading = opened
            Task { [weak self] in
                if case .ok(let p) = await opened.progress() { self?.progress = p }
            }
        }
    }

    private func loadingCode(_ text: String) {
        if trip == nil { return startLoading(text) }
        if var list = building {
            if !list.contains(text) { list.append(text); building = list; feedback.confirm() }
            return
        }
        guard let loading else { return }
        call({ _ in await loading.scan(payload: text) }) { [weak self] scan in
            guard let self else { return }
            self.lastLoad = scan
            self.progress = scan.progress
            switch scan.outcome {
            case .loaded:
                self.feedback.confirm()
                self.say("say_loaded_count", Int(scan.progress.loaded), Int(scan.progress.expected))
            case .notOnManifest:
                self.feedback.error()
                self.say("say_not_on_manifest")
            case .alreadyLoaded:
                self.feedback.error()
                self.say("say_already_loaded")
            }
        }
    }

    func saveManifest() {
        guard let trip, let codes = building, !codes.isEmpty else { return }
        call({ await $0.setTripManifest(trip: trip, units: codes) }) { [weak self] _ in self?.startLoading(trip) }
    }

    func depart(note: String) {
        guard let loading else { return }
        call({ _ in await loading.depart(note: note.isEmpty ? nil : note) }) { [weak self] receipt in
            self?.departed = receipt
            self?.progress = receipt.progress
            self?.feedback.confirmTwice()
            self?.say("say_departed", Int(receipt.progress.loaded), Int(receipt.progress.expected))
        }
    }

    // MARK: handover

    func startGiving() { handover = nil; alarm = false; handoverStep = .collecting([]) }
    func startReceiving() { handover = nil; alarm = false; handoverStep = .waitingForOffer }

    private func session(_ kit: FieldKit) -> Handover {
        if let handover { return handover }
        let made = kit.handover()
        handover = made
        return made
    }

    private func handoverCode(_ text: String) {
        switch handoverStep {
        case .collecting(let codes) where !codes.contains(text):
            handoverStep = .collecting(codes + [text])
            feedback.confirm()
        case .offered where text.hasPrefix(Self.receiptPrefix):
            call({ await self.session($0).storeReceipt(qrText: text) }, failed: alarmIfUntrusted) { [weak self] receipt in
                self?.handoverStep = .filed(receipt)
                self?.alarm = false
                self?.feedback.confirmTwice()
                self?.say("say_receipt_filed", Int(receipt.received), Int(receipt.offered))
            }
        case .waitingForOffer where text.hasPrefix(Self.offerPrefix):
            call({ await self.session($0).reviewOffer(qrText: text) }, failed: alarmIfUntrusted) { [weak self] review in
                self?.handoverStep = .checking(review, nil)
                self?.alarm = false
                self?.say("say_offer_checked", review.codes.count)
            }
        case .checking where !text.hasPrefix(Self.offerPrefix):
            check(text, reason: nil)
        default:
            break
        }
    }

    func offer() {
        guard case .collecting(let codes) = handoverStep, !codes.isEmpty else { return }
        call({ await self.session($0).offer(scanned: codes) }) { [weak self] offer in
            self?.handoverStep = .offered(offer)
            self?.say("say_offer_ready", offer.codes.count)
        }
    }

    func check(_ code: String, reason: AbnormalReason?) {
        call({ await self.session($0).checkUnit(scanned: code, abnormal: reason) }) { [weak self] progress in
            guard let self, case .checking(let review, _) = self.handoverStep else { return }
            self.handoverStep = .checking(review, progress)
            self.alarm = progress.check == .notOnOffer
            if self.alarm {
                self.feedback.error()
                self.say("say_not_on_offer")
            } else {
                self.feedback.confirm()
                self.say("say_checked_count", Int(progress.checked), Int(progress.expected))
            }
        }
    }

    func markLastAbnormal(_ reason: AbnormalReason) {
        guard case .checking(_, let progress?) = handoverStep else { return }
        check(progress.code, reason: reason)
    }

    func accept() {
        call({ await self.session($0).accept() }) { [weak self] acceptance in
            self?.handoverStep = .accepted(acceptance)
            self?.feedback.confirmTwice()
            self?.say("say_accepted", Int(acceptance.received), Int(acceptance.offered))
        }
    }

    /// A forged, altered or foreign QR (the core says which: `Untrusted`) turns the screen red.
    private func alarmIfUntrusted(_ error: FieldTraceError) {
        if case .Untrusted = error { alarm = true }
    }

    // MARK: delivery

    func addPhoto(_ jpeg: Data) {
        call({ await $0.savePhoto(jpeg) }) { [weak self] sha in
            guard let self, !self.photos.contains(sha) else { return }
            self.photos.append(sha)
            self.feedback.confirm()
        }
    }

    func confirmDelivery() {
        let (trip, name, scans, shots) = (deliveryTrip, recipient, deliveryScans, photos)
        call({ await $0.confirmDelivery(trip: trip, recipient: name, scanned: scans, photos: shots) }) { [weak self] receipt in
            self?.delivered = receipt
            self?.feedback.confirmTwice()
            self?.say("say_delivered", receipt.units.count, receipt.recipient)
        }
    }

    // MARK: pieces

    func showPieces(_ month: String) {
        call({ await $0.pieceCounts(month: month) }) { [weak self] counts in
            self?.month = month
            self?.pieces = counts
            self?.say("say_pieces_total", Int(counts.total))
        }
    }

    func shiftMonth(by months: Int) {
        let formatter = Self.monthFormatter
        guard let date = formatter.date(from: month),
              let shifted = Calendar(identifier: .gregorian).date(byAdding: .month, value: months, to: date) else { return }
        showPieces(formatter.string(from: shifted))
    }

    private static let monthFormatter: DateFormatter = {
        let f = DateFormatter()
        f.calendar = Calendar(identifier: .gregorian)
        f.locale = Locale(identifier: "en_US_POSIX")
        f.dateFormat = "yyyy-MM"
        return f
    }()

    static func monthKey(_ date: Date) -> String { monthFormatter.string(from: date) }

    // MARK: calls

    private func say(_ key: String, _ args: CVarArg...) {
        // Formatted once, here: `Words.text` would format the template with no arguments first.
        feedback.say(String(format: Words.voice.bundle.localizedString(forKey: key, value: nil, table: nil), arguments: args))
    }

    /// One core call at a time; a failure is shown, spoken and felt.
    private func call<T>(_ body: @escaping (FieldKit) async -> FieldResult<T>,
                         failed: ((FieldTraceError) -> Void)? = nil,
                         then onOk: @escaping (T) -> Void) {
        guard !busy else { return }
        busy = true
        Task {
            var result: FieldResult<T>?
            if let kit = await KitHolder.shared.enrolledKit() { result = await body(kit) }
            busy = false
            switch result {
            case .ok(let value)?:
                message = nil
                onOk(value)
            case .failed(let error)?:
                message = Words.screen.error(error.key)
                feedback.error()
                feedback.say(Words.voice.error(error.key))
                failed?(error)
            case nil:
                message = Words.screen.error("sync_not_enrolled")
            }
        }
    }
}
