package org.fieldtrace.app

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch
import org.fieldtrace.fieldkit.ffi.Role

/** The screens beside one-tap reporting. */
enum class Mode { REPORT, LOADING, HANDOVER, DELIVERY, PIECES }

/** Which screens a role sees: what the core lets that role record. */
fun modesFor(role: Role): List<Mode> = when (role) {
    Role.FARMER -> listOf(Mode.REPORT)
    Role.ASSISTANT -> listOf(Mode.REPORT, Mode.PIECES, Mode.HANDOVER)
    Role.DRIVER -> listOf(Mode.REPORT, Mode.LOADING, Mode.HANDOVER, Mode.DELIVERY)
    Role.MANAGER -> listOf(Mode.REPORT, Mode.LOADING, Mode.HANDOVER, Mode.DELIVERY, Mode.PIECES)
}

/**
 * Holds the driver's and assistant's screens and routes camera texts to the one on show; the
 * one-tap [ScanController] keeps the report screen. Plain Kotlin (no AndroidX) for the compile
 * check; the view model gives it its scope.
 */
class FlowsController(
    private val fieldApp: FieldTraceApp,
    private val scope: CoroutineScope,
    feedback: Feedback,
    private val reports: ScanController,
) {
    private val runner = FlowRunner(fieldApp, scope, feedback)
    val loading = LoadingController(runner)
    val handover = HandoverController(runner)
    val delivery = DeliveryController(runner)
    val pieces = PiecesController(runner)

    /** The last failure on a flow screen, in words. */
    val message: StateFlow<String?> = runner.message

    private val current = MutableStateFlow(Mode.REPORT)
    val mode: StateFlow<Mode> = current.asStateFlow()
    private val available = MutableStateFlow(listOf(Mode.REPORT))
    val modes: StateFlow<List<Mode>> = available.asStateFlow()

    /** Reads the enrolled user's role (after start-up or enrollment) to offer their screens. */
    fun refreshModes() {
        scope.launch {
            val role = fieldApp.enrolledKit()?.user()?.getOrNull()?.role ?: return@launch
            available.value = modesFor(role)
        }
    }

    fun show(mode: Mode) {
        runner.clearMessage()
        current.value = mode
        if (mode == Mode.PIECES) pieces.show()
    }

    /** Whether the camera should look for codes now (analyzer thread). */
    val wantsCodes: Boolean
        get() = when (current.value) {
            Mode.REPORT -> reports.wantsCodes
            Mode.LOADING -> loading.ui.value.departed == null
            Mode.HANDOVER -> handover.ui.value.step !is HandoverStep.Filed &&
                handover.ui.value.step !is HandoverStep.Accepted
            Mode.DELIVERY -> delivery.ui.value.done == null
            Mode.PIECES -> false
        }

    /** A decoded code (main thread), for the screen on show. */
    fun onCode(text: String) {
        when (current.value) {
            Mode.REPORT -> reports.onCode(text)
            Mode.LOADING -> loading.onCode(text)
            Mode.HANDOVER -> handover.onCode(text)
            Mode.DELIVERY -> delivery.onCode(text)
            Mode.PIECES -> Unit
        }
    }
}
