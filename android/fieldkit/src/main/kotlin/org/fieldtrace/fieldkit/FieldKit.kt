package org.fieldtrace.fieldkit

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.withContext
import org.fieldtrace.fieldkit.ffi.AbnormalReason
import org.fieldtrace.fieldkit.ffi.EnrollmentInfo
import org.fieldtrace.fieldkit.ffi.FieldTrace
import org.fieldtrace.fieldkit.ffi.FieldTraceConfig
import org.fieldtrace.fieldkit.ffi.FieldTraceException
import org.fieldtrace.fieldkit.ffi.HistoryItem
import org.fieldtrace.fieldkit.ffi.Receipt
import org.fieldtrace.fieldkit.ffi.Role
import org.fieldtrace.fieldkit.ffi.ScanInfo
import org.fieldtrace.fieldkit.ffi.SyncListener
import org.fieldtrace.fieldkit.ffi.SyncReport
import org.fieldtrace.fieldkit.ffi.SyncStatus

/**
 * The app's handle on FieldTrace: the generated [FieldTrace] with coroutines, a [StateFlow] of
 * sync status and [FieldResult]s instead of exceptions. Only adapters: every rule lives in the
 * Rust core. Open one per database file and keep it for the app's life; [close] it at the end.
 *
 * The core's calls block on disk, so each one here runs on [io]; call them from any coroutine,
 * the main thread included.
 */
class FieldKit private constructor(
    /** The generated object, for anything this layer does not wrap. */
    val trace: FieldTrace,
    internal val io: CoroutineDispatcher,
) : AutoCloseable {
    private val status = MutableStateFlow(trace.syncStatus())

    /**
     * The latest sync status, for the offline badge and a progress indicator. Fed by the one
     * [SyncListener] the core allows; collect it as often as you like.
     */
    val syncStatus: StateFlow<SyncStatus> = status.asStateFlow()

    init {
        trace.setSyncListener(
            object : SyncListener {
                // Called on a Rust thread: a StateFlow assignment is quick and thread-safe.
                override fun onStatus(status: SyncStatus) {
                    this@FieldKit.status.value = status
                }
            },
        )
    }

    /** Who reports from this phone now (the enrolled user once [enroll] succeeded). */
    suspend fun user(): FieldResult<FieldTraceConfig> = call { trace.user() }

    /** Who this phone is enrolled as, or null before enrollment. */
    suspend fun enrollment(): FieldResult<EnrollmentInfo?> = call { trace.enrollment() }

    /**
     * Enrolls with the co-op named by a scanned enrollment QR and reports as the enrolled party
     * and role from then on: no reopening. Safe to retry.
     */
    suspend fun enroll(qrText: String): FieldResult<EnrollmentInfo> = call { trace.enroll(qrText) }

    /** Reads a scanned payload; the following report is about this code. */
    suspend fun scan(payload: String): FieldResult<ScanInfo> = call { trace.scan(payload) }

    /** 正常: the scanned goods are fine at this step. */
    suspend fun reportNormal(): FieldResult<Receipt> = call { trace.reportNormal() }

    /** 异常: something is wrong with the scanned goods. */
    suspend fun reportAbnormal(
        reason: AbnormalReason,
        note: String? = null,
        photoSha256: String? = null,
    ): FieldResult<Receipt> = call { trace.reportAbnormal(reason, note, photoSha256) }

    /** Takes back a report made on this phone in the last 10 seconds. */
    suspend fun undo(eventId: String): FieldResult<Receipt> = call { trace.undo(eventId) }

    /** Everything recorded about a code, oldest first. */
    suspend fun history(code: String): FieldResult<List<HistoryItem>> = call { trace.history(code) }

    /** Reports waiting for the network. */
    suspend fun pendingCount(): FieldResult<Long> = call { trace.pendingCount().toLong() }

    /** Distinct codes this user recorded today. */
    suspend fun todayCount(): FieldResult<Long> = call { trace.todayCount().toLong() }

    /** Pushes waiting reports, then pulls what other phones recorded. */
    suspend fun syncNow(): FieldResult<SyncReport> = call { trace.syncNow() }

    /** Pushes without pulling: for a short window of signal. */
    suspend fun pushNow(): FieldResult<SyncReport> = call { trace.pushNow() }

    /** Stops the status updates and frees the Rust object. */
    override fun close() {
        trace.clearSyncListener()
        trace.close()
    }

    internal suspend fun <T> call(block: suspend () -> T): FieldResult<T> =
        withContext(io) { FieldResult.of { block() } }

    companion object {
        /**
         * Opens (creating if needed) the database at [dbPath] for [partyId] in [role].
         * Throws [FieldTraceException] when the file cannot be opened: nothing works without it.
         */
        suspend fun open(
            dbPath: String,
            partyId: String,
            role: Role,
            io: CoroutineDispatcher = Dispatchers.IO,
        ): FieldKit = withContext(io) {
            FieldKit(FieldTrace.open(dbPath, FieldTraceConfig(partyId, role)), io)
        }

        /**
         * Opens the database at [dbPath] as the user this phone is enrolled as. Throws
         * [FieldTraceException.EnrollmentNeeded] when it is not enrolled: open with [open] and a
         * sign-in guess, then [enroll] in place.
         */
        suspend fun openEnrolled(
            dbPath: String,
            io: CoroutineDispatcher = Dispatchers.IO,
        ): FieldKit = withContext(io) { FieldKit(FieldTrace.open(dbPath, null), io) }
    }
}
