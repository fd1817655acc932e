package org.fieldtrace.app

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.fieldtrace.fieldkit.FieldKit
import org.fieldtrace.fieldkit.FieldResult
import org.fieldtrace.fieldkit.ffi.AbnormalReason
import org.fieldtrace.fieldkit.ffi.Disposition
import org.fieldtrace.fieldkit.ffi.FieldTraceException
import org.fieldtrace.fieldkit.ffi.Receipt
import org.fieldtrace.fieldkit.ffi.ScanInfo

/** Where the one screen is. */
sealed interface Step {
    data object Loading : Step
    /** Not enrolled: the camera looks for the co-op's enrollment QR. */
    data object Enroll : Step
    /** The camera looks for a label. */
    data object Scanning : Step
    /** A label was read: 正常 / 异常. */
    data class Scanned(val info: ScanInfo) : Step
    /** 异常 was tapped: which reason. */
    data class Reasons(val info: ScanInfo) : Step
}

data class UiState(
    val step: Step = Step.Loading,
    /** Reports not yet on the server (the offline badge). */
    val pending: Long = 0,
    /** The last sync failed (usually no signal): the badge shows a crossed-out cloud. */
    val offline: Boolean = false,
    /** The last report, undoable until its `undoUntilMs`. */
    val undoable: Receipt? = null,
    /** The last error, in words. */
    val message: String? = null,
)

/**
 * Turns taps and decoded labels into [FieldKit] calls and the results into words, voice and
 * vibration. Decides nothing itself: which step a tap records, duplicates, the undo window and
 * every error come from the core.
 *
 * Plain Kotlin on coroutines (no AndroidX), so the compile check covers it; [ScanViewModel]
 * gives it the view model's scope and lifetime.
 */
class ScanController(
    private val fieldApp: FieldTraceApp,
    private val scope: CoroutineScope,
    private val feedback: Feedback,
    /** Asks for a sync once a network is there (WorkManager, see [SyncWorker.syncSoon]). */
    private val syncSoon: () -> Unit,
) {
    private val state = MutableStateFlow(UiState())
    val ui: StateFlow<UiState> = state.asStateFlow()

    private var kit: FieldKit? = null
    private var busy = false
    private var undoTimer: Job? = null
    private var statusJob: Job? = null

    // The label stays in front of the camera after a tap: ignore the same text for a moment so
    // it is not scanned again straight away.
    private var lastText: String? = null
    private var lastTextAt = 0L

    init {
        scope.launch {
            val opened = fieldApp.enrolledKit()
            if (opened == null) state.update { it.copy(step = Step.Enroll) } else start(opened)
        }
    }

    /** Whether the camera should look for codes now. Read from the analyzer thread. */
    val wantsCodes: Boolean
        get() = state.value.step.let { it == Step.Enroll || it == Step.Scanning }

    /** A decoded label or QR (main thread). */
    fun onCode(text: String) {
        val now = System.currentTimeMillis()
        if (busy || (text == lastText && now - lastTextAt < SAME_CODE_PAUSE_MS)) return
        lastText = text
        lastTextAt = now
        when (state.value.step) {
            Step.Enroll -> if (text.startsWith(ENROLL_PREFIX)) enroll(text)
            Step.Scanning -> call({ it.scan(text) }) { info ->
                state.update { it.copy(step = Step.Scanned(info), message = null) }
                feedback.say(feedback.voice.getString(R.string.say_scanned, info.title, feedback.voice.stepText(info.nextStep)))
            }
            else -> Unit
        }
    }

    fun reportNormal() = call({ it.reportNormal() }, ::saved)

    fun chooseReason() = state.update { ui ->
        (ui.step as? Step.Scanned)?.let { ui.copy(step = Step.Reasons(it.info)) } ?: ui
    }

    fun reportAbnormal(reason: AbnormalReason) = call({ it.reportAbnormal(reason) }, ::saved)

    /** Back to the camera without recording anything. */
    fun cancel() = state.update { it.copy(step = Step.Scanning) }

    fun undo() {
        val receipt = state.value.undoable ?: return
        call({ it.undo(receipt.eventId) }) {
            undoTimer?.cancel()
            state.update { it.copy(undoable = null, message = null) }
            feedback.confirmTwice()
            feedback.say(feedback.voice.getString(R.string.say_undone))
            refreshPending()
        }
    }

    private fun enroll(qr: String) {
        busy = true
        scope.launch {
            when (val result = fieldApp.enroll(qr)) {
                is FieldResult.Ok -> {
                    feedback.confirm()
                    feedback.say(feedback.voice.getString(R.string.say_enrolled))
                    fieldApp.enrolledKit()?.let { start(it) }
                    syncSoon()
                }
                is FieldResult.Failed -> fail(result)
            }
            busy = false
        }
    }

    private fun start(opened: FieldKit) {
        kit = opened
        state.update { it.copy(step = Step.Scanning) }
        statusJob?.cancel()
        statusJob = scope.launch {
            opened.syncStatus.collect { status ->
                state.update { it.copy(pending = status.pending.toLong(), offline = status.lastErrorKey != null) }
            }
        }
    }

    private fun saved(receipt: Receipt) {
        val abnormal = receipt.disposition as? Disposition.Abnormal
        val voice = feedback.voice
        val stepWords = receipt.step?.let { voice.stepText(it) }.orEmpty()
        val words = when {
            receipt.duplicate -> voice.getString(R.string.say_duplicate)
            abnormal != null -> voice.getString(R.string.say_saved_abnormal, voice.getString(abnormal.reason.label), stepWords)
            else -> voice.getString(R.string.say_saved_normal, stepWords)
        }
        if (abnormal != null) feedback.confirmTwice() else feedback.confirm()
        feedback.say(words)
        state.update { it.copy(step = Step.Scanning, undoable = receipt.takeIf { r -> r.undoUntilMs != null }, message = null) }
        lastTextAt = System.currentTimeMillis()
        showUndoUntil(receipt.undoUntilMs)
        refreshPending()
        syncSoon()
    }

    /** Hides the undo button when the core's window (10 s) closes. */
    private fun showUndoUntil(untilMs: Long?) {
        undoTimer?.cancel()
        if (untilMs == null) return
        undoTimer = scope.launch {
            delay((untilMs - System.currentTimeMillis()).coerceAtLeast(0))
            state.update { it.copy(undoable = null) }
        }
    }

    /** The badge after each tap, without waiting for the next sync status. */
    private fun refreshPending() {
        val k = kit ?: return
        scope.launch {
            k.pendingCount().getOrNull()?.let { n -> state.update { it.copy(pending = n) } }
        }
    }

    /** Runs one core call, one at a time (a second tap while saving does nothing). */
    private fun <T> call(block: suspend (FieldKit) -> FieldResult<T>, onOk: (T) -> Unit) {
        val k = kit ?: return
        if (busy) return
        busy = true
        scope.launch {
            when (val result = block(k)) {
                is FieldResult.Ok -> onOk(result.value)
                is FieldResult.Failed -> fail(result)
            }
            busy = false
        }
    }

    private fun fail(failed: FieldResult.Failed) {
        // The core says when enrollment is needed (not enrolled, revoked, bad credential).
        if (failed.error is FieldTraceException.EnrollmentNeeded) {
            state.update { it.copy(step = Step.Enroll) }
        }
        state.update { it.copy(message = fieldApp.errorText(failed.key)) }
        feedback.error()
        feedback.say(feedback.voice.errorText(failed.key))
    }

    private companion object {
        const val ENROLL_PREFIX = "fieldtrace://enroll?"
        const val SAME_CODE_PAUSE_MS = 3_000L
    }
}
