package org.fieldtrace.fieldkit

import kotlinx.coroutines.runBlocking
import org.fieldtrace.fieldkit.ffi.AbnormalReason
import org.fieldtrace.fieldkit.ffi.BoxCondition
import org.fieldtrace.fieldkit.ffi.FieldTraceConfig
import org.fieldtrace.fieldkit.ffi.FieldTraceException
import org.fieldtrace.fieldkit.ffi.LoadOutcome
import org.fieldtrace.fieldkit.ffi.Role
import org.fieldtrace.fieldkit.ffi.UnitCheck
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertInstanceOf
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import java.awt.image.BufferedImage
import java.io.ByteArrayOutputStream
import java.io.File
import java.nio.file.Files
import java.time.YearMonth
import javax.imageio.ImageIO

/**
 * The drivers' and assistants' flows through the Kotlin layer and the generated glue, against a
 * live `fieldtrace serve`: loading against a manifest, an offline handover between two FieldKit
 * instances by QR texts, piece counts and a photo-bearing abnormal report.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FieldFlowsTest {
    private val dir: File = Files.createTempDirectory("fieldkit-flows").toFile()
    private val server = LiveServer(dir, COOP)

    @AfterAll
    fun stop() {
        server.close()
        dir.deleteRecursively()
    }

    private suspend fun phone(name: String, party: String, role: Role, roleKey: String): FieldKit {
        // Opened with a guess, enrolled in place: no reopening.
        val kit = FieldKit.open(File(dir, "$name.db").path, "guess", Role.FARMER)
        kit.enroll(server.token(party, roleKey)).getOrThrow()
        assertEquals(FieldTraceConfig(party, role), kit.user().getOrThrow())
        return kit
    }

    @Test
    fun `a driver loads a trip with a missing box and a stranger, departs and delivers`(): Unit = runBlocking {
        phone("driver", "driver-zhang", Role.DRIVER, "driver").use { driver ->
            val trip = "TRIP-1123"
            assertEquals("trip_no_manifest", (driver.startLoading(trip) as FieldResult.Failed).key)
            driver.setTripManifest(trip, listOf("BOX-1", "BOX-2", "BOX-3")).getOrThrow()
            driver.startLoading(trip).getOrThrow().use { loading ->
                assertEquals(LoadOutcome.LOADED, loading.scan("BOX-1").getOrThrow().outcome)
                assertEquals(LoadOutcome.LOADED, loading.scan("BOX-2").getOrThrow().outcome)
                val stranger = loading.scan("BOX-STRANGER").getOrThrow()
                assertEquals(LoadOutcome.NOT_ON_MANIFEST, stranger.outcome)
                val twice = loading.scan("BOX-2").getOrThrow()
                assertEquals(LoadOutcome.ALREADY_LOADED, twice.outcome)
                val progress = twice.progress
                assertEquals(2u to 3u, progress.loaded to progress.expected)
                assertEquals(listOf("BOX-3"), progress.missing)
                assertEquals(listOf("BOX-STRANGER"), progress.offManifest)

                val departed = loading.depart("BOX-3 没到").getOrThrow()
                assertTrue(departed.progress.departed)
                assertEquals("trip_already_departed", (loading.scan("BOX-3") as FieldResult.Failed).key)
            }
            val empty = driver.confirmDelivery(trip, recipient = " ")
            assertInstanceOf(FieldTraceException.InvalidInput::class.java, (empty as FieldResult.Failed).error)
            val delivered = driver.confirmDelivery(trip, recipient = "西安水果市场 王经理").getOrThrow()
            assertEquals(listOf("BOX-1", "BOX-2"), delivered.units)
            val sync = driver.syncNow().getOrThrow()
            // The manifest, two loads, the stranger, the departure and the delivery.
            assertEquals(listOf(6UL, 0UL, 0UL), listOf(sync.accepted, sync.refused, sync.pending), "$sync")
        }
    }

    @Test
    fun `two phones hand over offline by QR texts and both halves reach the server`(): Unit = runBlocking {
        val boxes = listOf("BOX-A", "BOX-B", "BOX-C")
        phone("giver", "driver-li", Role.DRIVER, "driver").use { giverKit ->
            phone("receiver", "warehouse-liu", Role.MANAGER, "manager").use { receiverKit ->
                giverKit.handover().use { giver ->
                    receiverKit.handover().use { receiver ->
                        val offer = giver.offer(boxes, trip = "TRIP-7").getOrThrow()
                        assertTrue(offer.qrText.startsWith("FTHO1:"))
                        val tampered = receiver.reviewOffer(offer.qrText.dropLast(4) + "ABCD")
                        assertTrue((tampered as FieldResult.Failed).key.startsWith("handover_"), tampered.key)

                        val review = receiver.reviewOffer(offer.qrText).getOrThrow()
                        assertEquals("driver-li", review.giverPartyId)
                        assertEquals(boxes, review.codes)
                        assertEquals(UnitCheck.CHECKED, receiver.checkUnit("BOX-A").getOrThrow().check)
                        receiver.checkUnit("BOX-B", AbnormalReason.CRUSHED_PACKAGE).getOrThrow()
                        val last = receiver.checkUnit("BOX-C").getOrThrow()
                        assertEquals(Triple(3u, 3u, 1u), Triple(last.checked, last.expected, last.abnormal))
                        val accepted = receiver.accept().getOrThrow()
                        assertTrue(accepted.qrText.startsWith("FTHR1:"))
                        assertEquals(listOf(BoxCondition("BOX-B", AbnormalReason.CRUSHED_PACKAGE)), accepted.abnormal)

                        val receipt = giver.storeReceipt(accepted.qrText).getOrThrow()
                        assertEquals("warehouse-liu", receipt.receiverPartyId)
                        assertEquals(3u, receipt.received)
                        assertFalse(receipt.duplicate)
                    }
                }
                // Giver first this time, then the receiver, then the giver pulls the acceptance.
                assertEquals(0UL, giverKit.syncNow().getOrThrow().refused)
                assertEquals(0UL, receiverKit.syncNow().getOrThrow().refused)
                giverKit.syncNow().getOrThrow()
                val giverSees = giverKit.history("BOX-B").getOrThrow().map { it.kind }
                assertEquals(listOf("handover_acceptance", "handover_offer", "handover_receipt"), giverSees.sorted())
                val receiverSees = receiverKit.history("BOX-B").getOrThrow().map { it.kind }
                assertTrue("handover_offer" in receiverSees && "handover_receipt" in receiverSees, "$receiverSees")
            }
        }
    }

    @Test
    fun `an assistant's pieces count and a photo report uploads after its event`(): Unit = runBlocking {
        phone("assistant", "assistant-wang", Role.ASSISTANT, "assistant").use { assistant ->
            assistant.setWorkingLot("K-0815").getOrThrow()
            for (i in 1..3) {
                assistant.scan("KIWI-000$i").getOrThrow()
                assistant.reportNormal().getOrThrow()
            }
            val photo = assistant.savePhoto(png()).getOrThrow()
            assertEquals(64, photo.length)
            assistant.scan("KIWI-0009").getOrThrow()
            assistant.reportAbnormalWithPhotos(AbnormalReason.ROTTEN, listOf(photo), note = "烂果").getOrThrow()
            assertEquals(1UL, assistant.photoQueue().getOrThrow().waitingForEvents)

            val counts = assistant.pieceCounts(YearMonth.now().toString()).getOrThrow()
            assertEquals(4UL, counts.total)
            assertEquals("month_invalid", (assistant.pieceCounts("2026-13") as FieldResult.Failed).key)

            val sync = assistant.syncNow().getOrThrow()
            assertEquals(listOf(4UL, 1UL, 0UL), listOf(sync.accepted, sync.photosUploaded, sync.photosPending), "$sync")
            val queue = assistant.photoQueue().getOrThrow()
            assertEquals(0UL to 1UL, queue.pending to queue.uploaded)
        }
    }

    /** A small camera-like PNG: a gradient, so it compresses like a photo, not like a flat card. */
    private fun png(): ByteArray {
        val image = BufferedImage(320, 240, BufferedImage.TYPE_INT_RGB)
        for (y in 0 until 240) for (x in 0 until 320) image.setRGB(x, y, (x shl 16) or (y shl 8) or ((x + y) and 0xff))
        return ByteArrayOutputStream().also { ImageIO.write(image, "png", it) }.toByteArray()
    }

    private companion object {
        const val COOP = "coop-flows"
    }
}
