package org.fieldtrace.app

import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import org.fieldtrace.fieldkit.FieldResult
import org.fieldtrace.fieldkit.Handover
import org.fieldtrace.fieldkit.handover
import org.fieldtrace.fieldkit.ffi.AbnormalReason
import org.fieldtrace.fieldkit.ffi.FieldTraceException
import org.fieldtrace.fieldkit.ffi.HandoverAcceptance
import org.fieldtrace.fieldkit.ffi.HandoverOffer
import org.fieldtrace.fieldkit.ffi.HandoverReceipt
import org.fieldtrace.fieldkit.ffi.OfferReview
import org.fieldtrace.fieldkit.ffi.ReceivingProgress
import org.fieldtrace.fieldkit.ffi.UnitCheck

/** Where a handover is, on the giver's or the receiver's phone. */
sealed interface HandoverStep {
    /** Giver: scanning the boxes to hand over. */
    data class Collecting(val codes: List<String>) : HandoverStep
    /** Giver: the offer QR is on screen; the camera waits for the receiver's receipt QR. */
    data class Offered(val offer: HandoverOffer) : HandoverStep
    /** Giver: the receipt is filed; both phones hold proof. */
    data class Filed(val receipt: HandoverReceipt) : HandoverStep
    /** Receiver: the camera waits for the giver's offer QR. */
    data object WaitingForOffer : HandoverStep
    /** Receiver: checking box by box. */
    data class Checking(val review: OfferReview, val progress: ReceivingProgress?) : HandoverStep
    /** Receiver: accepted; the receipt QR is on screen for the giver. */
    data class Accepted(val acceptance: HandoverAcceptance) : HandoverStep
}

data class HandoverUi(
    val step: HandoverStep = HandoverStep.Collecting(emptyList()),
    val trip: String? = null,
    /** A forged or altered QR, or a box not on the offer: the screen turns red. */
    val alarm: Boolean = false,
)

/**
 * Custody handover between two phones with no signal: QR texts only. Signatures, checks and
 * counts are the core's; this routes camera texts to the right call by the step the screen is in.
 */
class HandoverController(private val runner: FlowRunner) {
    private val state = MutableStateFlow(HandoverUi())
    val ui: StateFlow<HandoverUi> = state.asStateFlow()
    private var session: Handover? = null

    /** Starts over as the giver (scan boxes, then offer). */
    fun startGiving(trip: String? = null) = reset(HandoverUi(HandoverStep.Collecting(emptyList()), trip))

    /** Starts over as the receiver (scan the giver's offer QR). */
    fun startReceiving() = reset(HandoverUi(HandoverStep.WaitingForOffer))

    private fun reset(ui: HandoverUi) {
        session?.close()
        session = null
        state.value = ui
    }

    private fun withSession(block: (Handover) -> Unit) {
        session?.let(block) ?: runner.run({ kit -> FieldResult.Ok(kit.handover()) }) {
            session = it
            block(it)
        }
    }

    fun onCode(text: String) {
        when (val step = state.value.step) {
            is HandoverStep.Collecting -> if (text !in step.codes) {
                state.update { it.copy(step = HandoverStep.Collecting(step.codes + text), alarm = false) }
                runner.feedback.confirm()
            }
            is HandoverStep.Offered -> if (text.startsWith(RECEIPT_PREFIX)) storeReceipt(text)
            is HandoverStep.WaitingForOffer -> if (text.startsWith(OFFER_PREFIX)) review(text)
            is HandoverStep.Checking -> if (!text.startsWith(OFFER_PREFIX)) check(text, null)
            else -> Unit
        }
    }

    /** Giver: signs the offer of the scanned boxes and shows its QR. */
    fun offer() {
        val step = state.value.step as? HandoverStep.Collecting ?: return
        if (step.codes.isEmpty()) return
        withSession { s ->
            runner.run({ s.offer(step.codes, state.value.trip) }) { offer ->
                state.update { it.copy(step = HandoverStep.Offered(offer)) }
                runner.say(R.string.say_offer_ready, offer.codes.size)
            }
        }
    }

    private fun storeReceipt(text: String) = withSession { s ->
        runner.run({ s.storeReceipt(text) }, onFailed = ::alarmIfUntrusted) { receipt ->
            state.update { it.copy(step = HandoverStep.Filed(receipt), alarm = false) }
            runner.feedback.confirmTwice()
            runner.say(R.string.say_receipt_filed, receipt.received.toInt(), receipt.offered.toInt())
        }
    }

    private fun review(text: String) = withSession { s ->
        runner.run({ s.reviewOffer(text) }, onFailed = ::alarmIfUntrusted) { review ->
            state.update { it.copy(step = HandoverStep.Checking(review, null), alarm = false) }
            runner.feedback.confirm()
            runner.say(R.string.say_offer_checked, review.codes.size)
        }
    }

    /** Receiver: one box, normal, or abnormal with [reason]. */
    fun check(code: String, reason: AbnormalReason?) = withSession { s ->
        runner.run({ s.checkUnit(code, reason) }) { progress ->
            val step = state.value.step as? HandoverStep.Checking ?: return@run
            val stranger = progress.check == UnitCheck.NOT_ON_OFFER
            state.update { it.copy(step = step.copy(progress = progress), alarm = stranger) }
            if (stranger) {
                runner.feedback.error()
                runner.say(R.string.say_not_on_offer)
            } else {
                runner.feedback.confirm()
                runner.say(R.string.say_checked_count, progress.checked.toInt(), progress.expected.toInt())
            }
        }
    }

    /** Receiver: the last checked box is abnormal after all. */
    fun markLastAbnormal(reason: AbnormalReason) {
        val step = state.value.step as? HandoverStep.Checking ?: return
        val code = step.progress?.code ?: return
        check(code, reason)
    }

    /** Receiver: accepts as checked (unchecked boxes count as missing) and shows the receipt QR. */
    fun accept() = withSession { s ->
        runner.run({ s.accept() }) { acceptance ->
            state.update { it.copy(step = HandoverStep.Accepted(acceptance)) }
            runner.feedback.confirmTwice()
            runner.say(R.string.say_accepted, acceptance.received.toInt(), acceptance.offered.toInt())
        }
    }

    /** A forged, altered or foreign QR (the core says which: `Untrusted`) turns the screen red. */
    private fun alarmIfUntrusted(failed: FieldResult.Failed) {
        if (failed.error is FieldTraceException.Untrusted) state.update { it.copy(alarm = true) }
    }

    fun close() = reset(HandoverUi())

    companion object {
        /** QR text prefixes of the core's handover codes (docs/handover.md), to route camera reads. */
        const val OFFER_PREFIX = "FTHO1:"
        const val RECEIPT_PREFIX = "FTHR1:"
    }
}
