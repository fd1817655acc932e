package org.fieldtrace.app

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import org.fieldtrace.fieldkit.Loading
import org.fieldtrace.fieldkit.setTripManifest
import org.fieldtrace.fieldkit.startLoading
import org.fieldtrace.fieldkit.ffi.DepartureReceipt
import org.fieldtrace.fieldkit.ffi.LoadOutcome
import org.fieldtrace.fieldkit.ffi.LoadScan
import org.fieldtrace.fieldkit.ffi.LoadingProgress

/** The loading screen: "已装 x / y", the missing list, a loud warning on a stranger or a repeat. */
data class LoadingUi(
    /** The trip being loaded; null: the camera (or the keyboard) asks for the trip number. */
    val trip: String? = null,
    /** No manifest yet: scans build one on the phone until it is saved. */
    val building: List<String>? = null,
    val progress: LoadingProgress? = null,
    val last: LoadScan? = null,
    /** Set for a code not on the manifest or scanned twice: the screen turns red. */
    val warning: LoadOutcome? = null,
    val departed: DepartureReceipt? = null,
)

/**
 * A driver loading a trip. Every outcome (loaded, not on the manifest, already loaded, the
 * counts, departure) is the core's; this turns scans into calls and answers into words.
 */
class LoadingController(private val runner: FlowRunner) {
    private val state = MutableStateFlow(LoadingUi())
    val ui: StateFlow<LoadingUi> = state.asStateFlow()
    private var loading: Loading? = null

    /** Starts (or resumes) [trip]; without a manifest, scans build one. */
    fun start(trip: String) {
        val name = trip.trim().takeIf { it.isNotEmpty() } ?: return
        close()
        state.value = LoadingUi(trip = name)
        runner.run({ it.startLoading(name) }, onFailed = { failed ->
            if (failed.key == NO_MANIFEST) {
                runner.clearMessage()
                state.update { it.copy(building = emptyList()) }
                runner.say(R.string.say_build_manifest)
            }
        }) { opened -> begin(opened) }
    }

    /** A code from the camera: the trip number first, then manifest entries or loads. */
    fun onCode(text: String) {
        val ui = state.value
        when {
            ui.trip == null -> start(text)
            ui.building != null -> if (text !in ui.building) {
                state.update { it.copy(building = ui.building + text) }
                runner.feedback.confirm()
            }
            else -> scan(text)
        }
    }

    /** Saves the manifest scanned on this phone and starts loading against it. */
    fun saveManifest() {
        val ui = state.value
        val trip = ui.trip ?: return
        val codes = ui.building?.takeIf { it.isNotEmpty() } ?: return
        runner.run({ kit -> kit.setTripManifest(trip, codes) }) { start(trip) }
    }

    private fun begin(opened: Loading) {
        loading = opened
        runner.run({ opened.progress() }) { progress ->
            state.update { it.copy(progress = progress, building = null) }
            runner.say(R.string.say_loaded_count, progress.loaded.toInt(), progress.expected.toInt())
        }
    }

    private fun scan(text: String) {
        val session = loading ?: return
        runner.run({ session.scan(text) }) { scan ->
            val warn = scan.outcome.takeIf { it != LoadOutcome.LOADED }
            state.update { it.copy(progress = scan.progress, last = scan, warning = warn) }
            val p = scan.progress
            when (scan.outcome) {
                LoadOutcome.LOADED -> {
                    runner.feedback.confirm()
                    runner.say(R.string.say_loaded_count, p.loaded.toInt(), p.expected.toInt())
                }
                LoadOutcome.NOT_ON_MANIFEST -> {
                    runner.feedback.error()
                    runner.say(R.string.say_not_on_manifest)
                }
                LoadOutcome.ALREADY_LOADED -> {
                    runner.feedback.error()
                    runner.say(R.string.say_already_loaded)
                }
            }
        }
    }

    /** Takes back the last scan if it was recorded (within 10 s). */
    fun undoLast() {
        val session = loading ?: return
        val eventId = state.value.last?.eventId ?: return
        runner.run({ session.undo(eventId) }) {
            runner.run({ session.progress() }) { progress ->
                state.update { it.copy(progress = progress, last = null, warning = null) }
                runner.say(R.string.say_undone)
            }
        }
    }

    /** The vehicle leaves with what is loaded; the missing list goes with the record. */
    fun depart(note: String?) {
        val session = loading ?: return
        runner.run({ session.depart(note?.takeIf { it.isNotBlank() }) }) { receipt ->
            state.update { it.copy(departed = receipt, progress = receipt.progress, warning = null) }
            runner.feedback.confirmTwice()
            runner.say(R.string.say_departed, receipt.progress.loaded.toInt(), receipt.progress.expected.toInt())
        }
    }

    /** Leaves this trip (frees the Rust object). */
    fun close() {
        loading?.close()
        loading = null
        state.value = LoadingUi()
    }

    private companion object {
        const val NO_MANIFEST = "trip_no_manifest"
    }
}
