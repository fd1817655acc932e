package org.fieldtrace.fieldkit

import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.fieldtrace.fieldkit.ffi.AbnormalReason
import org.fieldtrace.fieldkit.ffi.BarcodeFormat
import org.fieldtrace.fieldkit.ffi.BizStep
import org.fieldtrace.fieldkit.ffi.Disposition
import org.fieldtrace.fieldkit.ffi.FieldTraceException
import org.fieldtrace.fieldkit.ffi.Role
import org.fieldtrace.fieldkit.ffi.SyncPhase
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertInstanceOf
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.io.File
import java.nio.file.Files

/**
 * The Kotlin layer and the generated glue end to end, the way the app uses them: a real
 * `fieldtrace serve` on a free loopback port, a co-op and enrollment tokens made with the operator
 * CLI, a phone that decodes a camera frame, reports, undoes and syncs, and a second phone of the
 * same co-op that pulls from the server and must see exactly those events.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EndToEndTest {
    private val dir: File = Files.createTempDirectory("fieldkit-e2e").toFile()
    private val server = LiveServer(dir, COOP)

    private fun token(party: String, role: String): String = server.token(party, role)

    @AfterAll
    fun stopServer() {
        server.close()
        dir.deleteRecursively()
    }

    @Test
    fun `a phone decodes, reports, undoes and syncs, and a second phone pulls exactly those events`(): Unit = runBlocking {
        val frame = TestFrames.padded(CODE)
        FieldKit.open(File(dir, "farmer.db").path, "farmer-li", Role.FARMER).use { farmer ->
            assertEquals(0UL, farmer.syncStatus.value.pending)
            val notEnrolled = farmer.syncNow()
            assertEquals("sync_not_enrolled", (notEnrolled as FieldResult.Failed).key)
            assertInstanceOf(FieldTraceException.EnrollmentNeeded::class.java, notEnrolled.error)
            assertEquals("nothing_scanned", (farmer.reportNormal() as FieldResult.Failed).key)

            val enrolled = farmer.enroll(token("farmer-li", "farmer")).getOrThrow()
            assertEquals(COOP, enrolled.coopId)
            assertEquals("farmer-li", enrolled.partyId)
            assertEquals(Role.FARMER, enrolled.role)
            assertEquals(enrolled, farmer.enrollment().getOrThrow())

            // The camera: a padded Y plane in, the code out, then the one-tap session.
            val found = FrameScanner().decode(frame.width, frame.height, frame.rowStride, frame.luma)
            val decoded = (found as ScanOutcome.Found).first
            assertEquals(BarcodeFormat.QR_CODE, decoded.format)
            assertEquals(CODE, decoded.text)
            val scan = farmer.scan(decoded.text).getOrThrow()
            assertEquals(BizStep.HARVESTING, scan.nextStep)
            assertNull(scan.lastStep)
            val normal = farmer.reportNormal().getOrThrow()
            assertEquals(Disposition.Normal, normal.disposition)
            assertFalse(normal.duplicate)

            farmer.scan(decoded.text).getOrThrow()
            val bruised = farmer.reportAbnormal(AbnormalReason.BRUISED, note = "两箱压坏").getOrThrow()
            assertEquals(Disposition.Abnormal(AbnormalReason.BRUISED), bruised.disposition)
            val correction = farmer.undo(bruised.eventId).getOrThrow()
            assertEquals("undo_already_undone", (farmer.undo(bruised.eventId) as FieldResult.Failed).key)

            farmer.scan(OTHER_CODE).getOrThrow()
            val wet = farmer.reportAbnormal(AbnormalReason.WET).getOrThrow()
            assertEquals(4L, farmer.pendingCount().getOrThrow())
            assertEquals(2L, farmer.todayCount().getOrThrow())

            val report = farmer.syncNow().getOrThrow()
            assertEquals(listOf(4UL, 0UL, 0UL, 0UL), listOf(report.accepted, report.known, report.refused, report.pending), "$report")
            assertEquals(0L, farmer.pendingCount().getOrThrow())
            // The one listener feeds the StateFlow from a Rust thread.
            val status = withTimeout(10_000) {
                farmer.syncStatus.first { it.lastSuccessMs != null && it.phase == SyncPhase.IDLE }
            }
            assertEquals(0UL, status.pending)
            assertNull(status.lastErrorKey)

            val again = farmer.syncNow().getOrThrow()
            assertEquals(listOf(0UL, 0UL, 0UL), listOf(again.accepted, again.known, again.pending), "$again")

            // What the server holds, seen through the sync API by another phone of the co-op.
            FieldKit.open(File(dir, "assistant.db").path, "assistant-zhang", Role.ASSISTANT).use { assistant ->
                assistant.enroll(token("assistant-zhang", "assistant")).getOrThrow()
                val pulled = assistant.syncNow().getOrThrow()
                assertEquals(4UL, pulled.pulled, "$pulled")
                assertEquals(0UL, pulled.accepted)

                val history = assistant.history(CODE).getOrThrow()
                assertEquals(
                    listOf(
                        Triple(normal.eventId, "report", false),
                        Triple(bruised.eventId, "report", true),
                        Triple(correction.eventId, "correction", false),
                    ),
                    history.map { Triple(it.eventId, it.kind, it.voided) },
                )
                assertEquals("两箱压坏", history[1].note)
                assertEquals(bruised.eventId, history[2].voidsEventId)
                assertTrue(history.all { it.actorPartyId == "farmer-li" && it.actorRole == Role.FARMER })

                val other = assistant.history(OTHER_CODE).getOrThrow()
                assertEquals(listOf(wet.eventId), other.map { it.eventId })
                assertEquals(Disposition.Abnormal(AbnormalReason.WET), other.single().disposition)
            }
        }
    }

    @Test
    fun `the frame scanner reports empty and unusable frames`(): Unit = runBlocking {
        val scanner = FrameScanner()
        assertEquals(ScanOutcome.NothingFound, scanner.decode(320, 240, 320, ByteArray(320 * 240) { 127 }))
        val short = scanner.decode(640, 480, 704, ByteArray(10))
        assertEquals("decode_buffer_too_small", (short as ScanOutcome.Unusable).key)
        val rotated = scanner.decode(4, 4, 4, ByteArray(16), rotationDegrees = 45)
        assertEquals("decode_invalid_rotation", (rotated as ScanOutcome.Unusable).key)
        val frame = TestFrames.padded(CODE)
        val found = scanner.decode(frame.width, frame.height, frame.rowStride, frame.luma)
        assertNotNull((found as ScanOutcome.Found).first.corners.takeIf { it.size == 4 })
    }

    private companion object {
        const val COOP = "coop-zz"
        const val CODE = "BATCH-2026-KIWI-0001"
        const val OTHER_CODE = "BATCH-2026-KIWI-0002"
    }
}
