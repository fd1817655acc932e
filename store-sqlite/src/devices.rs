//! Enrollment tokens, devices and their keys, and the co-ops' certificate-signing keys.

use crate::{hash_column, SqliteStorage};
use fieldtrace_core::model::{DeviceId, PartyId, Role};
use fieldtrace_server_store::{
    DeviceListing, DeviceRecord, DeviceStore, NewEnrollmentToken, StorageError, StorageResult,
};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

impl DeviceStore for SqliteStorage {
    async fn create_enrollment_token(&self, token: NewEnrollmentToken) -> StorageResult<()> {
        self.run(move |conn| {
            let known: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM coops WHERE id = ?1)", [&token.coop], |r| r.get(0))?;
            if !known {
                return Err(StorageError::UnknownCoop(token.coop));
            }
            conn.execute(
                "INSERT INTO enrollment_tokens (token_hash, coop_id, party_id, role, expires_at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![token.token_hash.as_slice(), token.coop, token.party.as_str(), token.role.key(), token.expires_at_ms],
            )?;
            Ok(())
        })
        .await
    }

    async fn enroll(
        &self,
        token_hash: [u8; 32],
        device: DeviceId,
        credential_hash: [u8; 32],
        now_ms: i64,
    ) -> StorageResult<DeviceRecord> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let token = tx
                .query_row(
                    "SELECT coop_id, party_id, role, expires_at_ms, used_by_device FROM enrollment_tokens WHERE token_hash = ?1",
                    [token_hash.as_slice()],
                    |row| {
                        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?, row.get::<_, i64>(3)?, row.get::<_, Option<String>>(4)?))
                    },
                )
                .optional()?;
            let Some((coop, party, role, expires_at_ms, used_by)) = token else {
                return Err(StorageError::TokenInvalid);
            };
            if let Some(existing) = device_row(&tx, device)? {
                // A retry of this very enrollment is answered again; anything else is a conflict.
                let same = used_by.as_deref() == Some(device.to_string().as_str()) && existing.credential_hash == credential_hash;
                return if same { Ok(existing) } else { Err(StorageError::DeviceConflict(device)) };
            }
            if used_by.is_some() || expires_at_ms < now_ms {
                return Err(StorageError::TokenInvalid);
            }
            let role = Role::from_key(&role).ok_or_else(|| StorageError::Backend(format!("stored role {role:?}")))?;
            tx.execute(
                "INSERT INTO devices (id, coop_id, party_id, role, credential_hash, enrolled_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![device.to_string(), coop, party, role.key(), credential_hash.as_slice(), now_ms],
            )?;
            tx.execute(
                "UPDATE enrollment_tokens SET used_by_device = ?2, used_at_ms = ?3 WHERE token_hash = ?1",
                params![token_hash.as_slice(), device.to_string(), now_ms],
            )?;
            tx.commit()?;
            Ok(DeviceRecord {
                id: device,
                coop,
                party: PartyId(party),
                role,
                credential_hash,
                revoked: false,
                public_key: None,
                key_registered_at_ms: None,
            })
        })
        .await
    }

    async fn device(&self, id: DeviceId) -> StorageResult<Option<DeviceRecord>> {
        self.run(move |conn| device_row(conn, id)).await
    }

    async fn revoke_device(&self, id: DeviceId, now_ms: i64) -> StorageResult<bool> {
        self.run(move |conn| {
            let changed = conn.execute(
                "UPDATE devices SET revoked_at_ms = ?2 WHERE id = ?1 AND revoked_at_ms IS NULL",
                params![id.to_string(), now_ms],
            )?;
            Ok(changed > 0)
        })
        .await
    }

    async fn register_device_key(
        &self,
        device: DeviceId,
        public_key: [u8; 32],
        now_ms: i64,
    ) -> StorageResult<DeviceRecord> {
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let record =
                device_row(&tx, device)?.ok_or_else(|| StorageError::Backend(format!("no device {device}")))?;
            match record.public_key {
                Some(existing) if existing == public_key => return Ok(record),
                Some(_) => return Err(StorageError::DeviceKeyConflict(device)),
                None => {}
            }
            tx.execute(
                "UPDATE devices SET public_key = ?2, key_registered_at_ms = ?3 WHERE id = ?1",
                params![device.to_string(), public_key.as_slice(), now_ms],
            )?;
            tx.commit()?;
            Ok(DeviceRecord { public_key: Some(public_key), key_registered_at_ms: Some(now_ms), ..record })
        })
        .await
    }

    async fn coop_signing_seed(&self, coop: &str, candidate: [u8; 32], now_ms: i64) -> StorageResult<[u8; 32]> {
        let coop = coop.to_owned();
        self.run(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT INTO coop_signing_keys (coop_id, seed, created_at_ms) VALUES (?1, ?2, ?3) ON CONFLICT (coop_id) DO NOTHING",
                params![coop, candidate.as_slice(), now_ms],
            )?;
            let seed = tx.query_row("SELECT seed FROM coop_signing_keys WHERE coop_id = ?1", [&coop], |row| hash_column(row, 0))?;
            tx.commit()?;
            Ok(seed)
        })
        .await
    }

    async fn record_sync(&self, device: DeviceId, now_ms: i64, pending: Option<u64>) -> StorageResult<()> {
        self.run(move |conn| crate::device_status::record_sync(conn, device, now_ms, pending)).await
    }

    async fn devices(&self, coop: &str) -> StorageResult<Vec<DeviceListing>> {
        let coop = coop.to_owned();
        self.run(move |conn| crate::device_status::list(conn, &coop)).await
    }
}

fn device_row(conn: &Connection, id: DeviceId) -> StorageResult<Option<DeviceRecord>> {
    let row = conn
        .prepare_cached(
            "SELECT coop_id, party_id, role, credential_hash, revoked_at_ms IS NOT NULL, public_key, key_registered_at_ms
             FROM devices WHERE id = ?1",
        )?
        .query_row([id.to_string()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                hash_column(row, 3)?,
                row.get(4)?,
                row.get::<_, Option<Vec<u8>>>(5)?,
                row.get::<_, Option<i64>>(6)?,
            ))
        })
        .optional()?;
    row.map(|(coop, party, role, credential_hash, revoked, public_key, key_registered_at_ms)| {
        let role = Role::from_key(&role).ok_or_else(|| StorageError::Backend(format!("stored role {role:?}")))?;
        let public_key = public_key
            .map(|key| {
                key.try_into().map_err(|_| StorageError::Backend(format!("device {id}: stored key is not 32 bytes")))
            })
            .transpose()?;
        Ok(DeviceRecord {
            id,
            coop,
            party: PartyId(party),
            role,
            credential_hash,
            revoked,
            public_key,
            key_registered_at_ms,
        })
    })
    .transpose()
}
