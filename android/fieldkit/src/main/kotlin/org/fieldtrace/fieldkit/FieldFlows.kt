package org.fieldtrace.fieldkit

import org.fieldtrace.fieldkit.ffi.AbnormalReason
import org.fieldtrace.fieldkit.ffi.ContainerContents
import org.fieldtrace.fieldkit.ffi.DeliveryReceipt
import org.fieldtrace.fieldkit.ffi.LoggerReading
import org.fieldtrace.fieldkit.ffi.PackResult
import org.fieldtrace.fieldkit.ffi.PhotoQueue
import org.fieldtrace.fieldkit.ffi.PieceCounts
import org.fieldtrace.fieldkit.ffi.Receipt
import org.fieldtrace.fieldkit.ffi.SensorImportReport

/*
 * The field flows on FieldKit: packing, trips, delivery, photos, piece counts, loggers. Like the
 * rest of this layer, adapters only: each call runs the generated one on the IO dispatcher and
 * turns a core error into FieldResult.Failed.
 */

/** China keeps UTC+8 all year: the default offset of logger times written without one. */
const val CHINA_UTC_OFFSET_MINUTES = 480

/** Packs the scanned units into the scanned box or pallet. */
suspend fun FieldKit.pack(container: String, units: List<String>): FieldResult<PackResult> =
    call { trace.pack(container, units) }

/** Takes the scanned units out of the scanned container. */
suspend fun FieldKit.unpack(container: String, units: List<String>): FieldResult<PackResult> =
    call { trace.unpack(container, units) }

/** Empties the scanned container. */
suspend fun FieldKit.unpackAll(container: String): FieldResult<PackResult> = call { trace.unpackAll(container) }

/** What the scanned container holds now. */
suspend fun FieldKit.contents(container: String): FieldResult<ContainerContents> = call { trace.contents(container) }

/** Sets a trip's manifest to the scanned units (one built on the phone); returns the event id. */
suspend fun FieldKit.setTripManifest(trip: String, units: List<String>): FieldResult<String> =
    call { trace.setTripManifest(trip, units) }

/** Starts (or resumes) loading [trip]: `trip_no_manifest` until a manifest is built or synced. */
suspend fun FieldKit.startLoading(trip: String): FieldResult<Loading> =
    call { Loading(trace.startLoading(trip), io) }

/** A handover for the current user, as giver or receiver. */
fun FieldKit.handover(): Handover = Handover(trace.handover(), io)

/**
 * Records that [scanned] units of [trip] (none: what the trip departed with) were handed to
 * [recipient], with optional photos from [savePhoto].
 */
suspend fun FieldKit.confirmDelivery(
    trip: String,
    recipient: String,
    scanned: List<String> = emptyList(),
    photos: List<String> = emptyList(),
    note: String? = null,
): FieldResult<DeliveryReceipt> = call { trace.confirmDelivery(trip, scanned, recipient, photos, note) }

/** Sets (or clears) the lot new codes are filed under. */
suspend fun FieldKit.setWorkingLot(lotId: String?): FieldResult<Unit> = call { trace.setWorkingLot(lotId) }

/** Compresses and keeps a camera photo (JPEG/PNG bytes); returns its SHA-256 to attach. */
suspend fun FieldKit.savePhoto(encoded: ByteArray): FieldResult<String> = call { trace.savePhoto(encoded) }

/** 异常 with photos saved by [savePhoto]. */
suspend fun FieldKit.reportAbnormalWithPhotos(
    reason: AbnormalReason,
    photos: List<String>,
    note: String? = null,
): FieldResult<Receipt> = call { trace.reportAbnormalWithPhotos(reason, note, photos) }

/** Photos waiting for the server, failing, uploaded. */
suspend fun FieldKit.photoQueue(): FieldResult<PhotoQueue> = call { trace.photoQueue() }

/** This user's pieces per day in [month] (`YYYY-MM`): what an assistant is paid for. */
suspend fun FieldKit.pieceCounts(month: String): FieldResult<PieceCounts> = call { trace.pieceCounts(month) }

/** A logger app's CSV export for the logger in box [boxLabel]; bad lines come back in the report. */
suspend fun FieldKit.importLoggerCsv(
    logger: String,
    boxLabel: String,
    csvText: String,
    lotId: String? = null,
    utcOffsetMinutes: Int = CHINA_UTC_OFFSET_MINUTES,
    minExcursionMinutes: UInt? = null,
): FieldResult<SensorImportReport> =
    call { trace.importLoggerCsv(logger, boxLabel, lotId, csvText, utcOffsetMinutes, minExcursionMinutes) }

/** Readings a logger handed over by Bluetooth, for the logger in box [boxLabel]. */
suspend fun FieldKit.importLoggerReadings(
    logger: String,
    boxLabel: String,
    readings: List<LoggerReading>,
    lotId: String? = null,
    utcOffsetMinutes: Int = CHINA_UTC_OFFSET_MINUTES,
    minExcursionMinutes: UInt? = null,
): FieldResult<SensorImportReport> =
    call { trace.importLoggerReadings(logger, boxLabel, lotId, readings, utcOffsetMinutes, minExcursionMinutes) }
