package org.fieldtrace.fieldkit

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.withContext
import org.fieldtrace.fieldkit.ffi.AbnormalReason
import org.fieldtrace.fieldkit.ffi.DepartureReceipt
import org.fieldtrace.fieldkit.ffi.HandoverAcceptance
import org.fieldtrace.fieldkit.ffi.HandoverOffer
import org.fieldtrace.fieldkit.ffi.HandoverReceipt
import org.fieldtrace.fieldkit.ffi.HandoverSession
import org.fieldtrace.fieldkit.ffi.LoadScan
import org.fieldtrace.fieldkit.ffi.LoadingProgress
import org.fieldtrace.fieldkit.ffi.LoadingSession
import org.fieldtrace.fieldkit.ffi.OfferReview
import org.fieldtrace.fieldkit.ffi.Receipt
import org.fieldtrace.fieldkit.ffi.ReceivingProgress

private suspend fun <T> on(io: CoroutineDispatcher, block: () -> T): FieldResult<T> =
    withContext(io) { FieldResult.of(block) }

/**
 * A driver's loading of one trip ("已装 x / y"), from [startLoading]. Its state lives in the
 * phone's database, so a new one after a restart resumes. [close] frees the Rust object.
 */
class Loading internal constructor(
    /** The generated object, for anything this layer does not wrap. */
    val session: LoadingSession,
    private val io: CoroutineDispatcher,
) : AutoCloseable {
    /** Where loading stands now. */
    suspend fun progress(): FieldResult<LoadingProgress> = on(io) { session.progress() }

    /** The manifest's codes, in order. */
    suspend fun manifest(): FieldResult<List<String>> = on(io) { session.manifest() }

    /** A unit scanned at the vehicle: loaded, not on the manifest, or already loaded. */
    suspend fun scan(payload: String): FieldResult<LoadScan> = on(io) { session.scan(payload) }

    /** Takes back a loading scan made in the last 10 seconds. */
    suspend fun undo(eventId: String): FieldResult<Receipt> = on(io) { session.undo(eventId) }

    /** Re-reads manifest and loads after a sync brought another phone's scans. */
    suspend fun reload(): FieldResult<LoadingProgress> = on(io) { session.reload() }

    /** The vehicle leaves: records loaded of expected and what is missing. */
    suspend fun depart(note: String? = null): FieldResult<DepartureReceipt> = on(io) { session.depart(note) }

    override fun close() = session.close()
}

/**
 * One custody handover, from [handover]. Giver: [offer] → show its QR text; then [storeReceipt]
 * with the receiver's receipt QR. Receiver: [reviewOffer] → [checkUnit] box by box → [accept] →
 * show its QR text. No network needed on either phone.
 */
class Handover internal constructor(
    /** The generated object, for anything this layer does not wrap. */
    val session: HandoverSession,
    private val io: CoroutineDispatcher,
) : AutoCloseable {
    /** Giver: records a signed offer of the scanned boxes. */
    suspend fun offer(scanned: List<String>, trip: String? = null): FieldResult<HandoverOffer> =
        on(io) { session.offer(trip, scanned) }

    /** Receiver: checks a scanned offer offline; forged or altered ones fail `Untrusted`. */
    suspend fun reviewOffer(qrText: String): FieldResult<OfferReview> = on(io) { session.reviewOffer(qrText) }

    /** Receiver: one box, normal ([abnormal] null) or abnormal with a reason. */
    suspend fun checkUnit(scanned: String, abnormal: AbnormalReason? = null): FieldResult<ReceivingProgress> =
        on(io) { session.checkUnit(scanned, abnormal) }

    /** Receiver: accepts as checked (unchecked boxes count as missing); returns the receipt QR. */
    suspend fun accept(): FieldResult<HandoverAcceptance> = on(io) { session.accept() }

    /** Giver: checks and files the receiver's receipt QR. */
    suspend fun storeReceipt(qrText: String): FieldResult<HandoverReceipt> = on(io) { session.storeReceipt(qrText) }

    override fun close() = session.close()
}
