package org.fieldtrace.app

import android.graphics.Bitmap
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.Image
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ColumnScope
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.ScrollableTabRow
import androidx.compose.material3.Surface
import androidx.compose.material3.Tab
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.asImageBitmap
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.fieldtrace.fieldkit.ffi.AbnormalReason
import java.io.ByteArrayOutputStream

private val Warn = Color(0xFFC62828)
private val Good = Color(0xFF1B7F3B)

/** The app with the role's screens as tabs: 上报 for everyone, 装车/交接/送达 for drivers, 计件 for assistants. */
@Composable
fun AppScreen(flows: FlowsController, reports: ScanController, camera: @Composable (Modifier) -> Unit) {
    val mode by flows.mode.collectAsStateWithLifecycle()
    val modes by flows.modes.collectAsStateWithLifecycle()
    val reportUi by reports.ui.collectAsStateWithLifecycle()
    val message by flows.message.collectAsStateWithLifecycle()
    LaunchedEffect(reportUi.step == Step.Enroll) { flows.refreshModes() }
    Column(Modifier.fillMaxSize()) {
        if (modes.size > 1) {
            ScrollableTabRow(selectedTabIndex = modes.indexOf(mode).coerceAtLeast(0)) {
                modes.forEach { m ->
                    Tab(selected = m == mode, onClick = { flows.show(m) }, text = { Text(stringResource(m.label), fontSize = 20.sp) })
                }
            }
        }
        Box(Modifier.weight(1f).fillMaxWidth()) {
            when (mode) {
                Mode.REPORT -> FieldTraceScreen(reports, camera)
                Mode.LOADING -> LoadingScreen(flows.loading, camera)
                Mode.HANDOVER -> HandoverScreen(flows.handover, camera)
                Mode.DELIVERY -> DeliveryScreen(flows.delivery, camera)
                Mode.PIECES -> PiecesScreen(flows.pieces)
            }
        }
        if (mode != Mode.REPORT) message?.let { Banner(it, Warn) }
    }
}

private val Mode.label: Int
    get() = when (this) {
        Mode.REPORT -> R.string.mode_report
        Mode.LOADING -> R.string.mode_loading
        Mode.HANDOVER -> R.string.mode_handover
        Mode.DELIVERY -> R.string.mode_delivery
        Mode.PIECES -> R.string.mode_pieces
    }

@Composable
private fun Banner(text: String, color: Color) =
    Text(text, color = Color.White, fontSize = 24.sp, fontWeight = FontWeight.Bold,
        modifier = Modifier.fillMaxWidth().background(color).padding(16.dp))

@Composable
private fun Wide(text: String, color: Color? = null, onClick: () -> Unit) = Button(
    onClick = onClick,
    modifier = Modifier.fillMaxWidth().heightIn(min = 72.dp),
    colors = color?.let { ButtonDefaults.buttonColors(containerColor = it, contentColor = Color.White) }
        ?: ButtonDefaults.buttonColors(),
) { Text(text, fontSize = 26.sp) }

/** Camera on top, the screen's own panel below. */
@Composable
private fun CameraAnd(camera: @Composable (Modifier) -> Unit, panel: @Composable ColumnScope.() -> Unit) =
    Column(Modifier.fillMaxSize()) {
        camera(Modifier.weight(1f).fillMaxWidth())
        Surface(Modifier.weight(1.3f).fillMaxWidth()) {
            Column(Modifier.padding(16.dp).verticalScroll(rememberScrollState()), verticalArrangement = Arrangement.spacedBy(12.dp)) {
                panel()
            }
        }
    }

/** 装车: the big "已装 x / y", the missing list, a red banner on a stranger or a repeat. */
@Composable
fun LoadingScreen(model: LoadingController, camera: @Composable (Modifier) -> Unit) {
    val ui by model.ui.collectAsStateWithLifecycle()
    var typed by rememberSaveable { mutableStateOf("") }
    var note by rememberSaveable { mutableStateOf("") }
    CameraAnd(camera) {
        val progress = ui.progress
        when {
            ui.trip == null -> {
                Text(stringResource(R.string.trip_hint), fontSize = 22.sp)
                OutlinedTextField(typed, { typed = it }, Modifier.fillMaxWidth())
                Wide(stringResource(R.string.trip_start)) { model.start(typed) }
            }
            ui.building != null -> {
                Text(stringResource(R.string.build_manifest_hint), fontSize = 22.sp)
                Text(stringResource(R.string.manifest_size, ui.building!!.size), fontSize = 40.sp, fontWeight = FontWeight.Bold)
                Wide(stringResource(R.string.save_manifest)) { model.saveManifest() }
            }
            progress != null -> {
                Text(
                    stringResource(R.string.loaded_of, progress.loaded.toInt(), progress.expected.toInt()),
                    fontSize = 56.sp, fontWeight = FontWeight.Bold,
                    color = if (progress.missing.isEmpty()) Good else Color.Unspecified,
                )
                when (ui.warning) {
                    org.fieldtrace.fieldkit.ffi.LoadOutcome.NOT_ON_MANIFEST -> Banner(stringResource(R.string.warn_not_on_manifest) + " " + ui.last?.code.orEmpty(), Warn)
                    org.fieldtrace.fieldkit.ffi.LoadOutcome.ALREADY_LOADED -> Banner(stringResource(R.string.warn_already_loaded) + " " + ui.last?.code.orEmpty(), Warn)
                    else -> Unit
                }
                if (progress.missing.isNotEmpty()) {
                    Text(stringResource(R.string.missing_title), fontSize = 22.sp, fontWeight = FontWeight.Bold)
                    progress.missing.forEach { Text(it, fontSize = 20.sp) }
                }
                if (progress.offManifest.isNotEmpty()) {
                    Text(stringResource(R.string.off_manifest_title), fontSize = 22.sp, fontWeight = FontWeight.Bold, color = Warn)
                    progress.offManifest.forEach { Text(it, fontSize = 20.sp, color = Warn) }
                }
                val departed = ui.departed
                if (departed == null) {
                    if (ui.last?.eventId != null) OutlinedButton(model::undoLast, Modifier.fillMaxWidth()) { Text(stringResource(R.string.undo), fontSize = 22.sp) }
                    OutlinedTextField(note, { note = it }, Modifier.fillMaxWidth())
                    Wide(stringResource(R.string.depart), Good) { model.depart(note) }
                } else {
                    Banner(stringResource(R.string.departed, departed.progress.loaded.toInt(), departed.progress.expected.toInt()), Good)
                }
            }
        }
    }
}

/** 交接: the offer or receipt QR big on screen, or the camera with the box-by-box check. */
@Composable
fun HandoverScreen(model: HandoverController, camera: @Composable (Modifier) -> Unit) {
    val ui by model.ui.collectAsStateWithLifecycle()
    Column(Modifier.fillMaxSize()) {
        if (ui.alarm) Banner(stringResource(R.string.untrusted_warning), Warn)
        Box(Modifier.weight(1f).fillMaxWidth()) { HandoverStepPanel(model, ui.step, camera) }
    }
}

@Composable
private fun HandoverStepPanel(model: HandoverController, step: HandoverStep, camera: @Composable (Modifier) -> Unit) {
    when (step) {
        is HandoverStep.Offered -> QrPanel(step.offer.qrText, stringResource(R.string.show_offer_hint), camera)
        is HandoverStep.Accepted -> QrPanel(step.acceptance.qrText, stringResource(R.string.show_receipt_hint), null)
        else -> CameraAnd(camera) {
            Row(horizontalArrangement = Arrangement.spacedBy(12.dp)) {
                OutlinedButton({ model.startGiving() }) { Text(stringResource(R.string.give), fontSize = 22.sp) }
                OutlinedButton(model::startReceiving) { Text(stringResource(R.string.receive), fontSize = 22.sp) }
            }
            when (step) {
                is HandoverStep.Collecting -> {
                    Text(stringResource(R.string.boxes_scanned, step.codes.size), fontSize = 40.sp, fontWeight = FontWeight.Bold)
                    Wide(stringResource(R.string.make_offer)) { model.offer() }
                }
                is HandoverStep.Filed -> Banner(
                    stringResource(R.string.receipt_filed, step.receipt.received.toInt(), step.receipt.offered.toInt(), step.receipt.receiverPartyId),
                    Good,
                )
                HandoverStep.WaitingForOffer -> Text(stringResource(R.string.scan_offer_hint), fontSize = 24.sp)
                is HandoverStep.Checking -> {
                    Text(stringResource(R.string.offer_from, step.review.giverPartyId, step.review.codes.size), fontSize = 22.sp)
                    val p = step.progress
                    Text(
                        stringResource(R.string.checked_of, p?.checked?.toInt() ?: 0, step.review.codes.size, p?.abnormal?.toInt() ?: 0),
                        fontSize = 40.sp, fontWeight = FontWeight.Bold,
                    )
                    if (p != null) {
                        Text(stringResource(R.string.last_box_problem), fontSize = 20.sp)
                        Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                            listOf(AbnormalReason.CRUSHED_PACKAGE, AbnormalReason.ROTTEN, AbnormalReason.WET, AbnormalReason.OTHER).forEach { r ->
                                Button({ model.markLastAbnormal(r) }, colors = ButtonDefaults.buttonColors(containerColor = Warn)) {
                                    Text(stringResource(r.label), fontSize = 18.sp)
                                }
                            }
                        }
                        p.unchecked.forEach { Text(it, fontSize = 18.sp) }
                    }
                    Wide(stringResource(R.string.accept), Good) { model.accept() }
                }
                else -> Unit
            }
        }
    }
}

/** A QR big enough to read from another phone, with the camera below when a reply is expected. */
@Composable
private fun QrPanel(text: String, hint: String, camera: (@Composable (Modifier) -> Unit)?) {
    val bitmap = remember(text) { qrBitmap(text) }
    Column(Modifier.fillMaxSize().background(Color.White).padding(16.dp), horizontalAlignment = Alignment.CenterHorizontally) {
        Text(hint, fontSize = 22.sp, color = Color.Black)
        bitmap?.let { Image(it.asImageBitmap(), contentDescription = null, modifier = Modifier.fillMaxWidth().weight(2f)) }
        camera?.invoke(Modifier.weight(1f).fillMaxWidth())
    }
}

/** 送达: the recipient's name, an optional photo, confirm. */
@Composable
fun DeliveryScreen(model: DeliveryController, camera: @Composable (Modifier) -> Unit) {
    val ui by model.ui.collectAsStateWithLifecycle()
    val photo = rememberLauncherForActivityResult(ActivityResultContracts.TakePicturePreview()) { bitmap: Bitmap? ->
        bitmap?.let { model.addPhoto(ByteArrayOutputStream().also { out -> it.compress(Bitmap.CompressFormat.JPEG, 95, out) }.toByteArray()) }
    }
    CameraAnd(camera) {
        Text(stringResource(R.string.trip_hint), fontSize = 20.sp)
        OutlinedTextField(ui.trip, model::setTrip, Modifier.fillMaxWidth())
        Text(stringResource(R.string.recipient_hint), fontSize = 20.sp)
        OutlinedTextField(ui.recipient, model::setRecipient, Modifier.fillMaxWidth())
        if (ui.scanned.isNotEmpty()) Text(stringResource(R.string.boxes_scanned, ui.scanned.size), fontSize = 22.sp)
        OutlinedButton({ photo.launch(null) }, Modifier.fillMaxWidth()) {
            Text(stringResource(R.string.take_photo) + " · " + stringResource(R.string.photos_taken, ui.photos.size), fontSize = 20.sp)
        }
        val done = ui.done
        if (done == null) Wide(stringResource(R.string.confirm_delivery), Good) { model.confirm() }
        else Banner(stringResource(R.string.delivered, done.units.size, done.recipient), Good)
    }
}

/** 计件: this month's pieces per day, what the assistant is paid for. */
@Composable
fun PiecesScreen(model: PiecesController) {
    val ui by model.ui.collectAsStateWithLifecycle()
    Column(Modifier.fillMaxSize().padding(16.dp).verticalScroll(rememberScrollState()), verticalArrangement = Arrangement.spacedBy(12.dp)) {
        Text(stringResource(R.string.pieces_title, ui.month.toString()), fontSize = 26.sp)
        Text(stringResource(R.string.pieces_total, ui.counts?.total?.toInt() ?: 0), fontSize = 48.sp, fontWeight = FontWeight.Bold)
        ui.counts?.days?.forEach { Text(stringResource(R.string.pieces_day, it.date, it.pieces.toInt()), fontSize = 22.sp) }
        Row(horizontalArrangement = Arrangement.spacedBy(12.dp)) {
            OutlinedButton(model::previousMonth) { Text(stringResource(R.string.prev_month), fontSize = 20.sp) }
            OutlinedButton(model::nextMonth) { Text(stringResource(R.string.next_month), fontSize = 20.sp) }
        }
    }
}
