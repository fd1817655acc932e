package org.fieldtrace.app

import android.util.Log
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.launch
import org.fieldtrace.fieldkit.FrameScanner
import org.fieldtrace.fieldkit.ScanOutcome
import java.nio.ByteBuffer
import java.util.concurrent.atomic.AtomicBoolean

/**
 * Hands camera frames (YUV_420_888) to the core's decoder: only the Y plane is needed, with its
 * row stride and the rotation, so no RGB conversion happens on the phone. [LumaAnalyzer] feeds
 * it from CameraX; this part needs only the frame's numbers and bytes.
 *
 * One frame is decoded at a time; frames arriving meanwhile are dropped (with
 * STRATEGY_KEEP_ONLY_LATEST CameraX keeps just the newest one), which keeps slow phones responsive.
 */
class LumaFrames(
    private val scope: CoroutineScope,
    private val scanner: FrameScanner = FrameScanner(),
    /** Whether the screen wants codes now (false while the buttons are shown). */
    private val active: () -> Boolean,
    private val onText: (String) -> Unit,
) {
    private val busy = AtomicBoolean(false)

    // Reused between frames: only touched while `busy` is held, so no decode reads it mid-copy.
    private var luma = ByteArray(0)

    /**
     * Offers one frame. Copies [yPlane] before returning when it takes the frame, so the caller
     * closes the camera image right after this returns, whatever it returned.
     *
     * @return whether the frame was taken (false: not wanted now, or a decode is still running).
     */
    fun offer(width: Int, height: Int, rowStride: Int, yPlane: ByteBuffer, rotationDegrees: Int): Boolean {
        if (!active() || !busy.compareAndSet(false, true)) return false
        // The one copy: the direct buffer belongs to the camera and is reused once the image is
        // closed. Its last row may be shorter than rowStride; the core accepts that.
        val buffer = yPlane.duplicate().apply { rewind() }
        val size = buffer.remaining()
        if (luma.size != size) luma = ByteArray(size)
        buffer.get(luma, 0, size)

        scope.launch {
            try {
                when (val outcome = scanner.decode(width, height, rowStride, luma, rotationDegrees)) {
                    is ScanOutcome.Found -> if (active()) onText(outcome.first.text)
                    ScanOutcome.NothingFound -> Unit
                    // A geometry bug in the caller, not the user's doing: keep the camera running.
                    is ScanOutcome.Unusable -> Log.w("FieldTrace", "frame unusable: ${outcome.key}")
                }
            } finally {
                busy.set(false)
            }
        }
        return true
    }
}
