package org.fieldtrace.app

import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy

/**
 * CameraX's side of [LumaFrames]: the frame's size, its Y plane (`planes[0]`) with that plane's
 * row stride, and the rotation. Every image is closed as soon as [LumaFrames.offer] returns (it
 * has copied what it keeps), so CameraX can deliver the next one.
 */
class LumaAnalyzer(private val frames: LumaFrames) : ImageAnalysis.Analyzer {
    override fun analyze(image: ImageProxy) {
        image.use {
            val y = it.planes[0]
            frames.offer(it.width, it.height, y.rowStride, y.buffer, it.imageInfo.rotationDegrees)
        }
    }
}
