package org.fieldtrace.app

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import org.fieldtrace.fieldkit.FieldKit
import org.fieldtrace.fieldkit.FieldResult

/**
 * Runs one flow screen's FieldKit calls one at a time (a second tap while saving does nothing)
 * and turns a failure into words, speech and a long vibration. Shared by the driver's and the
 * assistant's controllers; plain Kotlin (no AndroidX) so the compile check covers it.
 */
class FlowRunner(
    private val fieldApp: FieldTraceApp,
    private val scope: CoroutineScope,
    val feedback: Feedback,
) {
    private var busy = false
    private val error = MutableStateFlow<String?>(null)

    /** The last failure, in words; null after a call succeeds. */
    val message: StateFlow<String?> = error.asStateFlow()

    /**
     * Runs [block] with the enrolled FieldKit, then [onOk] or [onFailed]. Those run after the
     * call is over, so they may start the next call.
     */
    fun <T> run(block: suspend (FieldKit) -> FieldResult<T>, onFailed: (FieldResult.Failed) -> Unit = {}, onOk: (T) -> Unit) {
        if (busy) return
        busy = true
        scope.launch {
            val result = try {
                fieldApp.enrolledKit()?.let { block(it) }
            } finally {
                busy = false
            }
            when (result) {
                null -> fail(NOT_ENROLLED)
                is FieldResult.Ok -> {
                    error.value = null
                    onOk(result.value)
                }
                is FieldResult.Failed -> {
                    fail(result.key)
                    onFailed(result)
                }
            }
        }
    }

    /** Shows, speaks and buzzes the words for a core error key. */
    fun fail(key: String) {
        error.value = fieldApp.errorText(key)
        feedback.error()
        feedback.say(feedback.voice.errorText(key))
    }

    /** Speaks a string resource in Mandarin. */
    fun say(id: Int, vararg args: Any) = feedback.say(feedback.voice.getString(id, *args))

    fun clearMessage() {
        error.value = null
    }

    private companion object {
        const val NOT_ENROLLED = "sync_not_enrolled"
    }
}
