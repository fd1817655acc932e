package org.fieldtrace.app

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import org.fieldtrace.fieldkit.confirmDelivery
import org.fieldtrace.fieldkit.savePhoto
import org.fieldtrace.fieldkit.ffi.DeliveryReceipt

data class DeliveryUi(
    val trip: String = "",
    val recipient: String = "",
    /** Units scanned at the door; none: everything the trip departed with. */
    val scanned: List<String> = emptyList(),
    /** SHA-256 of the photos taken (the signed slip, the goods at the door). */
    val photos: List<String> = emptyList(),
    val done: DeliveryReceipt? = null,
)

/** Delivery confirmation at the destination: recipient's name, optional scans and photos. */
class DeliveryController(private val runner: FlowRunner) {
    private val state = MutableStateFlow(DeliveryUi())
    val ui: StateFlow<DeliveryUi> = state.asStateFlow()

    fun setTrip(trip: String) = state.update { it.copy(trip = trip, done = null) }

    fun setRecipient(name: String) = state.update { it.copy(recipient = name) }

    fun onCode(text: String) {
        val ui = state.value
        if (ui.trip.isBlank()) {
            setTrip(text)
        } else if (text !in ui.scanned) {
            state.update { it.copy(scanned = ui.scanned + text) }
            runner.feedback.confirm()
        }
    }

    /** A photo from the camera (JPEG bytes): compressed and kept on the phone by the core. */
    fun addPhoto(jpeg: ByteArray) = runner.run({ it.savePhoto(jpeg) }) { sha ->
        state.update { it.copy(photos = (it.photos + sha).distinct()) }
        runner.feedback.confirm()
    }

    fun confirm() {
        val ui = state.value
        runner.run({ it.confirmDelivery(ui.trip, ui.recipient, ui.scanned, ui.photos) }) { receipt ->
            state.update { it.copy(done = receipt) }
            runner.feedback.confirmTwice()
            runner.say(R.string.say_delivered, receipt.units.size, receipt.recipient)
        }
    }

    fun reset() {
        state.value = DeliveryUi()
    }
}
