package org.fieldtrace.fieldkit

import org.fieldtrace.fieldkit.ffi.FieldTraceException
import kotlin.coroutines.cancellation.CancellationException

/**
 * What a FieldTrace call gave: a value, or a core error with its stable [key] (a string
 * resource name such as `nothing_scanned`, `undo_expired`; the app maps it to words and
 * speech). Other exceptions are bugs and are not caught.
 */
sealed interface FieldResult<out T> {
    data class Ok<out T>(val value: T) : FieldResult<T>

    data class Failed(val error: FieldTraceException) : FieldResult<Nothing> {
        /** The stable, localizable key. */
        val key: String get() = error.key

        /** English detail for logs; never shown to users. */
        val detail: String get() = error.detail
    }

    /** The value, or throws the core error. */
    fun getOrThrow(): T = when (this) {
        is Ok -> value
        is Failed -> throw error
    }

    /** The value, or null on a core error. */
    fun getOrNull(): T? = (this as? Ok)?.value

    companion object {
        /** Runs [block], turning a [FieldTraceException] into [Failed]. */
        inline fun <T> of(block: () -> T): FieldResult<T> = try {
            Ok(block())
        } catch (e: CancellationException) {
            throw e
        } catch (e: FieldTraceException) {
            Failed(e)
        }
    }
}

/** The stable, localizable key of any core error, whichever kind it is. */
val FieldTraceException.key: String
    get() = when (this) {
        is FieldTraceException.InvalidInput -> key
        is FieldTraceException.NotAllowed -> key
        is FieldTraceException.Storage -> key
        is FieldTraceException.EnrollmentNeeded -> key
        is FieldTraceException.Unavailable -> key
        is FieldTraceException.Rejected -> key
        is FieldTraceException.Internal -> key
        is FieldTraceException.Untrusted -> key
    }

/** The English detail of any core error, for logs. */
val FieldTraceException.detail: String
    get() = when (this) {
        is FieldTraceException.InvalidInput -> detail
        is FieldTraceException.NotAllowed -> detail
        is FieldTraceException.Storage -> detail
        is FieldTraceException.EnrollmentNeeded -> detail
        is FieldTraceException.Unavailable -> detail
        is FieldTraceException.Rejected -> detail
        is FieldTraceException.Internal -> detail
        is FieldTraceException.Untrusted -> detail
    }
