package org.fieldtrace.app

import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ColumnScope
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.heightIn
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.layout.width
import androidx.compose.foundation.lazy.grid.GridCells
import androidx.compose.foundation.lazy.grid.LazyVerticalGrid
import androidx.compose.foundation.lazy.grid.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Check
import androidx.compose.material.icons.filled.Close
import androidx.compose.material.icons.filled.CloudDone
import androidx.compose.material.icons.filled.CloudOff
import androidx.compose.material.icons.filled.CloudUpload
import androidx.compose.material3.Button
import androidx.compose.material3.ButtonDefaults
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.Icon
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableLongStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.vector.ImageVector
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import kotlinx.coroutines.delay
import org.fieldtrace.fieldkit.ffi.AbnormalReason
import org.fieldtrace.fieldkit.ffi.Receipt
import org.fieldtrace.fieldkit.ffi.ScanInfo

// Colours people already read as "fine" and "wrong", dark enough for white text in sunlight.
private val Normal = Color(0xFF1B7F3B)
private val Abnormal = Color(0xFFC62828)

/** The whole app: badge on top, camera or buttons in the middle, error and undo at the bottom. */
@Composable
fun FieldTraceScreen(model: ScanController, camera: @Composable (Modifier) -> Unit) {
    val ui by model.ui.collectAsStateWithLifecycle()
    Column(Modifier.fillMaxSize()) {
        Row(Modifier.fillMaxWidth().padding(16.dp), verticalAlignment = Alignment.CenterVertically) {
            Text(stringResource(R.string.app_name), fontSize = 24.sp, modifier = Modifier.weight(1f))
            if (ui.step != Step.Enroll && ui.step != Step.Loading) OfflineBadge(ui.pending, ui.offline)
        }
        Box(Modifier.weight(1f).fillMaxWidth()) {
            if (ui.step != Step.Loading) camera(Modifier.fillMaxSize())
            when (val step = ui.step) {
                Step.Loading -> CircularProgressIndicator(Modifier.align(Alignment.Center))
                Step.Enroll -> Hint(stringResource(R.string.enroll_hint))
                Step.Scanning -> Hint(stringResource(R.string.scan_hint))
                is Step.Scanned -> Panel { ScannedButtons(step.info, model::reportNormal, model::chooseReason, model::cancel) }
                is Step.Reasons -> Panel { ReasonPicker(model::reportAbnormal, model::cancel) }
            }
        }
        ui.message?.let {
            Text(it, color = Color.White, fontSize = 22.sp, modifier = Modifier.fillMaxWidth().background(Abnormal).padding(16.dp))
        }
        ui.undoable?.let { UndoBar(it, model::undo) }
    }
}

@Composable
private fun Hint(text: String) = Box(Modifier.fillMaxSize(), contentAlignment = Alignment.BottomCenter) {
    Text(text, color = Color.White, fontSize = 24.sp, modifier = Modifier.background(Color(0x99000000)).padding(16.dp))
}

@Composable
private fun Panel(content: @Composable ColumnScope.() -> Unit) = Surface(Modifier.fillMaxSize()) {
    Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(16.dp)) { content() }
}

/** 正常 / 异常: full width, at least 96 dp high, colour and icon as well as the word. */
@Composable
private fun ColumnScope.ScannedButtons(info: ScanInfo, onNormal: () -> Unit, onAbnormal: () -> Unit, onCancel: () -> Unit) {
    Text(info.title, fontSize = 32.sp, fontWeight = FontWeight.Bold)
    info.farm?.let { Text(it.name, fontSize = 22.sp) }
    Spacer(Modifier.weight(1f))
    BigButton(stringResource(R.string.normal), Icons.Filled.Check, Normal, onNormal)
    BigButton(stringResource(R.string.abnormal), Icons.Filled.Close, Abnormal, onAbnormal)
    OutlinedButton(onCancel, Modifier.fillMaxWidth().heightIn(min = 64.dp)) {
        Text(stringResource(R.string.scan_again), fontSize = 22.sp)
    }
}

@Composable
private fun BigButton(text: String, icon: ImageVector, color: Color, onClick: () -> Unit) {
    Button(
        onClick = onClick,
        modifier = Modifier.fillMaxWidth().heightIn(min = 96.dp),
        colors = ButtonDefaults.buttonColors(containerColor = color, contentColor = Color.White),
    ) {
        Icon(icon, contentDescription = null, modifier = Modifier.size(56.dp))
        Spacer(Modifier.width(16.dp))
        Text(text, fontSize = 40.sp, fontWeight = FontWeight.Bold)
    }
}

/** One large tile per reason, in the core's order; the label is there for who can read it. */
@Composable
private fun ColumnScope.ReasonPicker(onPick: (AbnormalReason) -> Unit, onBack: () -> Unit) {
    LazyVerticalGrid(
        columns = GridCells.Fixed(2),
        horizontalArrangement = Arrangement.spacedBy(12.dp),
        verticalArrangement = Arrangement.spacedBy(12.dp),
        modifier = Modifier.fillMaxWidth().weight(1f),
    ) {
        items(AbnormalReason.entries) { reason ->
            Button(
                onClick = { onPick(reason) },
                modifier = Modifier.heightIn(min = 120.dp),
                colors = ButtonDefaults.buttonColors(containerColor = Abnormal, contentColor = Color.White),
            ) {
                Column(horizontalAlignment = Alignment.CenterHorizontally) {
                    Icon(reason.icon, contentDescription = null, modifier = Modifier.size(64.dp))
                    Text(stringResource(reason.label), fontSize = 22.sp)
                }
            }
        }
    }
    OutlinedButton(onBack, Modifier.fillMaxWidth().heightIn(min = 64.dp)) {
        Text(stringResource(R.string.back), fontSize = 22.sp)
    }
}

/** Reports waiting for the network; a crossed-out cloud when the last sync failed. */
@Composable
private fun OfflineBadge(pending: Long, offline: Boolean) {
    val icon = when {
        pending == 0L -> Icons.Filled.CloudDone
        offline -> Icons.Filled.CloudOff
        else -> Icons.Filled.CloudUpload
    }
    Row(verticalAlignment = Alignment.CenterVertically) {
        Icon(icon, contentDescription = null, modifier = Modifier.size(32.dp))
        Spacer(Modifier.width(8.dp))
        Text(
            if (pending == 0L) stringResource(R.string.all_synced) else stringResource(R.string.pending_count, pending),
            fontSize = 20.sp,
        )
    }
}

/** Undo until the core's window closes, with the seconds left. */
@Composable
private fun UndoBar(receipt: Receipt, onUndo: () -> Unit) {
    val until = receipt.undoUntilMs ?: return
    var left by remember(receipt.eventId) { mutableLongStateOf(until - System.currentTimeMillis()) }
    LaunchedEffect(receipt.eventId) {
        while (left > 0) {
            delay(250)
            left = until - System.currentTimeMillis()
        }
    }
    Row(
        Modifier.fillMaxWidth().background(MaterialTheme.colorScheme.inverseSurface).padding(12.dp),
        verticalAlignment = Alignment.CenterVertically,
    ) {
        Text(stringResource(R.string.saved), color = MaterialTheme.colorScheme.inverseOnSurface, fontSize = 22.sp, modifier = Modifier.weight(1f))
        Button(onUndo, Modifier.heightIn(min = 64.dp)) {
            Text(stringResource(R.string.undo_seconds, ((left + 999) / 1000).coerceAtLeast(0)), fontSize = 22.sp)
        }
    }
}
