//! The artifact store: the workflow's outputs by key, through `object_store` — a folder under
//! the data directory by default, an S3-compatible bucket when configured. Each put returns
//! the size and SHA-256 that the `artifacts` table records.

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("artifact store: {0}")]
    Store(#[from] object_store::Error),
    #[error("artifact store folder {path}: {source}")]
    Folder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("artifact key {0:?} is not a valid path")]
    Key(String),
}

/// An S3-compatible bucket.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct S3Config {
    pub bucket: String,
    /// `https://s3.eu-west-1.amazonaws.com`, or any S3-compatible server's URL.
    pub endpoint: Option<String>,
    #[serde(default = "default_region")]
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Prefix every key with this folder.
    #[serde(default)]
    pub prefix: String,
    /// Plain HTTP endpoints (a server on loopback) are refused unless allowed.
    #[serde(default)]
    pub allow_http: bool,
}

fn default_region() -> String {
    "us-east-1".into()
}

/// Where artifacts go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactStoreConfig {
    /// A folder, created when missing.
    Local(PathBuf),
    S3(S3Config),
}

/// What a put stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBytes {
    pub key: String,
    pub size: i64,
    pub sha256: String,
}

/// The artifact store; cheap to clone.
#[derive(Debug, Clone)]
pub struct ArtifactStore {
    inner: Arc<dyn ObjectStore>,
    prefix: String,
}

impl ArtifactStore {
    pub fn open(config: &ArtifactStoreConfig) -> Result<Self, ArtifactError> {
        match config {
            ArtifactStoreConfig::Local(root) => {
                std::fs::create_dir_all(root).map_err(|source| ArtifactError::Folder {
                    path: root.clone(),
                    source,
                })?;
                Ok(Self {
                    inner: Arc::new(LocalFileSystem::new_with_prefix(root)?),
                    prefix: String::new(),
                })
            }
            ArtifactStoreConfig::S3(s3) => {
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_region(&s3.region)
                    .with_access_key_id(&s3.access_key_id)
                    .with_secret_access_key(&s3.secret_access_key)
                    .with_allow_http(s3.allow_http);
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                Ok(Self {
                    inner: Arc::new(builder.build()?),
                    prefix: s3.prefix.trim_matches('/').to_owned(),
                })
            }
        }
    }

    fn path(&self, key: &str) -> Result<ObjectPath, ArtifactError> {
        let full = if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}/{key}", self.prefix)
        };
        ObjectPath::parse(&full).map_err(|_| ArtifactError::Key(key.to_owned()))
    }

    /// Stores `bytes` under `key`, replacing what was there.
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<StoredBytes, ArtifactError> {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        self.inner
            .put(&self.path(key)?, PutPayload::from_bytes(bytes))
            .await?;
        Ok(StoredBytes {
            key: key.to_owned(),
            size,
            sha256,
        })
    }

    /// The bytes under `key` as they arrive, without holding them all.
    pub async fn stream(
        &self,
        key: &str,
    ) -> Result<BoxStream<'static, Result<Bytes, ArtifactError>>, ArtifactError> {
        let got = self.inner.get(&self.path(key)?).await?;
        Ok(got
            .into_stream()
            .map(|c| c.map_err(ArtifactError::from))
            .boxed())
    }

    /// All the bytes under `key`.
    pub async fn get(&self, key: &str) -> Result<Bytes, ArtifactError> {
        Ok(self.inner.get(&self.path(key)?).await?.bytes().await?)
    }
}
