import Foundation

// The field flows on FieldKit, mirroring FieldFlows.kt and Sessions.kt in android/fieldkit:
// adapters only; every rule is the core's.

/// China keeps UTC+8 all year: the default offset of logger times written without one.
public let chinaUtcOffsetMinutes: Int32 = 480

extension FieldKit {
    /// Packs the scanned units into the scanned box or pallet.
    public func pack(container: String, units: [String]) async -> FieldResult<PackResult> {
        await call { try self.trace.pack(container: container, units: units) }
    }

    /// Takes the scanned units out of the scanned container.
    public func unpack(container: String, units: [String]) async -> FieldResult<PackResult> {
        await call { try self.trace.unpack(container: container, units: units) }
    }

    /// What the scanned container holds now.
    public func contents(container: String) async -> FieldResult<ContainerContents> {
        await call { try self.trace.contents(container: container) }
    }

    /// Sets a trip's manifest to the scanned units; returns the event id.
    public func setTripManifest(trip: String, units: [String]) async -> FieldResult<String> {
        await call { try self.trace.setTripManifest(trip: trip, units: units) }
    }

    /// Starts (or resumes) loading `trip`: `trip_no_manifest` until a manifest is built or synced.
    public func startLoading(trip: String) async -> FieldResult<Loading> {
        await call { Loading(session: try self.trace.startLoading(trip: trip), kit: self) }
    }

    /// A handover for the current user, as giver or receiver.
    public func handover() -> Handover { Handover(session: trace.handover(), kit: self) }

    /// Records that `scanned` units of `trip` (none: what it departed with) went to `recipient`.
    public func confirmDelivery(trip: String, recipient: String, scanned: [String] = [], photos: [String] = [],
                                note: String? = nil) async -> FieldResult<DeliveryReceipt> {
        await call { try self.trace.confirmDelivery(trip: trip, scanned: scanned, recipient: recipient, photos: photos, note: note) }
    }

    /// Sets (or clears) the lot new codes are filed under.
    public func setWorkingLot(lotId: String?) async { _ = await call { self.trace.setWorkingLot(lotId: lotId) } }

    /// Compresses and keeps a camera photo (JPEG/PNG); returns its SHA-256 to attach.
    public func savePhoto(_ encoded: Data) async -> FieldResult<String> { await call { try self.trace.savePhoto(encoded: encoded) } }

    /// 异常 with photos saved by `savePhoto`.
    public func reportAbnormalWithPhotos(reason: AbnormalReason, photos: [String], note: String? = nil) async -> FieldResult<Receipt> {
        await call { try self.trace.reportAbnormalWithPhotos(reason: reason, note: note, photos: photos) }
    }

    /// Photos waiting for the server, failing, uploaded.
    public func photoQueue() async -> FieldResult<PhotoQueue> { await call { try self.trace.photoQueue() } }

    /// This user's pieces per day in `month` (`YYYY-MM`).
    public func pieceCounts(month: String) async -> FieldResult<PieceCounts> { await call { try self.trace.pieceCounts(month: month) } }

    /// A logger app's CSV export for the logger in box `boxLabel`.
    public func importLoggerCsv(logger: String, boxLabel: String, csvText: String, lotId: String? = nil,
                                utcOffsetMinutes: Int32 = chinaUtcOffsetMinutes,
                                minExcursionMinutes: UInt32? = nil) async -> FieldResult<SensorImportReport> {
        await call {
            try self.trace.importLoggerCsv(logger: logger, boxLabel: boxLabel, lotId: lotId, csvText: csvText,
                                           utcOffsetMinutes: utcOffsetMinutes, minExcursionMinutes: minExcursionMinutes)
        }
    }

    /// Readings a logger handed over by Bluetooth.
    public func importLoggerReadings(logger: String, boxLabel: String, readings: [LoggerReading], lotId: String? = nil,
                                     utcOffsetMinutes: Int32 = chinaUtcOffsetMinutes,
                                     minExcursionMinutes: UInt32? = nil) async -> FieldResult<SensorImportReport> {
        await call {
            try self.trace.importLoggerReadings(logger: logger, boxLabel: boxLabel, lotId: lotId, readings: readings,
                                                utcOffsetMinutes: utcOffsetMinutes, minExcursionMinutes: minExcursionMinutes)
        }
    }
}

/// A driver's loading of one trip ("已装 x / y"); state lives in the database, so it resumes.
public final class Loading: @unchecked Sendable {
    public let session: LoadingSession
    private let kit: FieldKit

    init(session: LoadingSession, kit: FieldKit) {
        self.session = session
        self.kit = kit
    }

    public func progress() async -> FieldResult<LoadingProgress> { await kit.call { self.session.progress() } }
    public func scan(payload: String) async -> FieldResult<LoadScan> { await kit.call { try self.session.scan(payload: payload) } }
    public func undo(eventId: String) async -> FieldResult<Receipt> { await kit.call { try self.session.undo(eventId: eventId) } }
    public func reload() async -> FieldResult<LoadingProgress> { await kit.call { try self.session.reload() } }
    public func depart(note: String? = nil) async -> FieldResult<DepartureReceipt> { await kit.call { try self.session.depart(note: note) } }
}

/// One custody handover by QR texts, as giver or receiver; no network needed.
public final class Handover: @unchecked Sendable {
    public let session: HandoverSession
    private let kit: FieldKit

    init(session: HandoverSession, kit: FieldKit) {
        self.session = session
        self.kit = kit
    }

    public func offer(scanned: [String], trip: String? = nil) async -> FieldResult<HandoverOffer> {
        await kit.call { try self.session.offer(trip: trip, scanned: scanned) }
    }

    public func reviewOffer(qrText: String) async -> FieldResult<OfferReview> { await kit.call { try self.session.reviewOffer(qrText: qrText) } }

    public func checkUnit(scanned: String, abnormal: AbnormalReason? = nil) async -> FieldResult<ReceivingProgress> {
        await kit.call { try self.session.checkUnit(scanned: scanned, abnormal: abnormal) }
    }

    public func accept() async -> FieldResult<HandoverAcceptance> { await kit.call { try self.session.accept() } }
    public func storeReceipt(qrText: String) async -> FieldResult<HandoverReceipt> { await kit.call { try self.session.storeReceipt(qrText: qrText) } }
}
