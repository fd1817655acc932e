package org.fieldtrace.app

import android.app.Application
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import org.fieldtrace.fieldkit.FieldKit
import org.fieldtrace.fieldkit.FieldResult
import org.fieldtrace.fieldkit.ffi.EnrollmentInfo
import org.fieldtrace.fieldkit.ffi.FieldTraceException
import org.fieldtrace.fieldkit.ffi.Role
import java.io.File

/** What one background sync came to (WorkManager's success, retry, failure). */
enum class SyncOutcome { DONE, RETRY, FAILED }

/**
 * Holds the one [FieldKit] of the process, shared by the screen and [SyncWorker] (the core
 * allows one sync listener per store, and two open handles would race on the same file).
 */
class FieldTraceApp : Application() {
    private val lock = Mutex()
    private var kit: FieldKit? = null
    private var enrolled = false

    private val dbPath: String get() = File(filesDir, "fieldtrace.db").path

    /** The store opened as the enrolled user, or null while this phone is not enrolled. */
    suspend fun enrolledKit(): FieldKit? = lock.withLock {
        if (enrolled) return@withLock kit
        if (kit == null) {
            kit = try {
                FieldKit.openEnrolled(dbPath).also { enrolled = true }
            } catch (_: FieldTraceException.EnrollmentNeeded) {
                null
            }
        }
        kit.takeIf { enrolled }
    }

    /**
     * Enrolls from a scanned `fieldtrace://enroll?…` QR. The store opened for enrolling reports
     * as the enrolled user from then on (the core switches in place): no reopening.
     */
    suspend fun enroll(qrText: String): FieldResult<EnrollmentInfo> = lock.withLock {
        val opened = kit ?: FieldKit.open(dbPath, UNENROLLED_PARTY, Role.FARMER).also { kit = it }
        val result = opened.enroll(qrText)
        if (result is FieldResult.Ok) enrolled = true
        result
    }

    /**
     * One sync for [SyncWorker]: push what waits, pull what other phones recorded. Nothing is
     * lost on a failed sync; only what may work later by itself (no network, server down, a busy
     * or full disk) is worth retrying.
     */
    suspend fun syncOnce(): SyncOutcome {
        val kit = enrolledKit() ?: return SyncOutcome.DONE
        return when (val result = kit.syncNow()) {
            is FieldResult.Ok -> SyncOutcome.DONE
            is FieldResult.Failed -> when (result.error) {
                is FieldTraceException.Unavailable, is FieldTraceException.Storage -> SyncOutcome.RETRY
                else -> SyncOutcome.FAILED
            }
        }
    }

    private companion object {
        /** Never reported under: the screen allows reports only after enrollment, which switches the user. */
        const val UNENROLLED_PARTY = "unenrolled"
    }
}
