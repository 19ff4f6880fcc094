//! Idempotent writes (AIP-155): a request id is remembered with what it created, in the same
//! transaction as the write, so a retried request answers the first result and changes nothing twice.

use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, Set};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, string, timestamp_with_time_zone};

use sea_orm::{DatabaseConnection, DatabaseTransaction, TransactionTrait};

use crate::error::{ErrorDomain, FieldViolation, ServiceError};

pub mod entity {
    //! The remembered request ids.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub operation: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub request_id: String,
        /// A hash of the request, to tell a retry from a different request reusing the id.
        pub fingerprint: i64,
        /// The resource name the first request produced.
        pub resource: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The longest request id accepted.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// Checks a request id's shape; empty means "not idempotent".
pub fn validate_request_id(request_id: &str, field: &str) -> Result<(), FieldViolation> {
    if request_id.len() > MAX_REQUEST_ID_LEN {
        return Err(FieldViolation::new(field, "must be at most 128 characters"));
    }
    if request_id.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(FieldViolation::new(
            field,
            "must not contain spaces or control characters",
        ));
    }
    Ok(())
}

/// A request's fingerprint: FNV-1a over its encoded bytes (a retry sends the same bytes).
pub fn request_fingerprint(encoded: &[u8]) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in encoded {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

/// What an earlier request with the same id did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prior {
    /// Nothing yet: go ahead.
    None,
    /// The same request was applied; answer with this resource.
    Applied(String),
    /// The id was used for a different request.
    Conflict,
}

pub async fn lookup<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    operation: &str,
    request_id: &str,
    fingerprint: i64,
) -> Result<Prior, DbErr> {
    if request_id.is_empty() {
        return Ok(Prior::None);
    }
    let found = entity::Entity::find_by_id((tenant.to_owned(), operation.to_owned(), request_id.to_owned()))
        .one(db)
        .await?;
    Ok(match found {
        None => Prior::None,
        Some(row) if row.fingerprint == fingerprint => Prior::Applied(row.resource),
        Some(_) => Prior::Conflict,
    })
}

/// Remembers a request id; call inside the write's transaction. A concurrent duplicate fails here
/// on the primary key, its transaction rolls back, and its retry of `lookup` finds the winner.
pub async fn remember<C: ConnectionTrait>(
    db: &C,
    tenant: &str,
    operation: &str,
    request_id: &str,
    fingerprint: i64,
    resource: &str,
) -> Result<(), DbErr> {
    if request_id.is_empty() {
        return Ok(());
    }
    entity::ActiveModel {
        tenant: Set(tenant.to_owned()),
        operation: Set(operation.to_owned()),
        request_id: Set(request_id.to_owned()),
        fingerprint: Set(fingerprint),
        resource: Set(resource.to_owned()),
        created_at: Set(crate::convert::now()),
    }
    .insert(db)
    .await
    .map(|_| ())
}

/// What an earlier request with the same `request_id` produced, if it was the same request,
/// with the fingerprint of this one.
pub async fn replay<D: ErrorDomain, M: prost::Message>(
    db: &DatabaseConnection,
    tenant: &str,
    operation: &str,
    request_id: &str,
    request: &M,
) -> Result<(i64, Option<String>), ServiceError<D>> {
    validate_request_id(request_id, "request_id")?;
    let fingerprint = request_fingerprint(&request.encode_to_vec());
    match lookup(db, tenant, operation, request_id, fingerprint).await? {
        Prior::None => Ok((fingerprint, None)),
        Prior::Applied(resource) => Ok((fingerprint, Some(resource))),
        Prior::Conflict => Err(ServiceError::invalid(
            "request_id",
            "was already used for a different request; use a new id",
        )),
    }
}

/// Runs a write at most once per `request_id` and gives the name of what it made. A retry
/// answers the first result; a retry racing its original loses on the key, then answers the
/// original's result too. Without a request id, the write simply runs, in one transaction.
pub async fn write_once<D: ErrorDomain, M: prost::Message>(
    db: &DatabaseConnection,
    tenant: &str,
    operation: &str,
    request_id: &str,
    request: &M,
    write: impl AsyncFnOnce(&DatabaseTransaction) -> Result<String, ServiceError<D>>,
) -> Result<String, ServiceError<D>> {
    let (fingerprint, prior) = replay::<D, M>(db, tenant, operation, request_id, request).await?;
    if let Some(name) = prior {
        return Ok(name);
    }
    let outcome: Result<String, ServiceError<D>> = async {
        let txn = db.begin().await?;
        let name = write(&txn).await?;
        remember(&txn, tenant, operation, request_id, fingerprint, &name).await?;
        txn.commit().await?;
        Ok(name)
    }
    .await;
    match outcome {
        Err(error) if !request_id.is_empty() => match replay::<D, M>(db, tenant, operation, request_id, request).await?
        {
            (_, Some(name)) => Ok(name),
            (_, None) => Err(error),
        },
        other => other,
    }
}

/// The migration that creates the table; every service lists it among its own.
pub struct CreateIdempotencyKeys;

impl MigrationName for CreateIdempotencyKeys {
    fn name(&self) -> &str {
        "m0000_create_idempotency_keys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateIdempotencyKeys {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("idempotency_keys")
                    .if_not_exists()
                    .col(string("tenant"))
                    .col(string("operation"))
                    .col(string("request_id"))
                    .col(big_integer("fingerprint"))
                    .col(string("resource"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("tenant").col("operation").col("request_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("idempotency_keys").to_owned())
            .await
    }
}
