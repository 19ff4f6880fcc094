//! Key material: the HS256 secret (created by `lacak up` on first start) or RS256/EdDSA PEM keys.

use std::path::Path;

use base64::Engine as _;
use jsonwebtoken::{DecodingKey, EncodingKey};

use super::{AuthError, Authenticator, TokenIssuer, default_secret_path};
use crate::config::{AuthArgs, JwtAlgorithm};

/// Loads the keys the configuration names. With HS256 and `create_secret`, a missing secret file
/// is created with 32 random bytes (base64url), readable by its owner only.
pub fn load_keys(
    args: &AuthArgs,
    data_dir: &Path,
    create_secret: bool,
) -> Result<(Authenticator, Option<TokenIssuer>), AuthError> {
    match args.jwt_algorithm {
        JwtAlgorithm::Hs256 => {
            let path = args
                .jwt_secret_file
                .clone()
                .unwrap_or_else(|| default_secret_path(data_dir));
            let secret = read_or_create_secret(&path, create_secret)?;
            let mut authenticator = Authenticator::new(
                args.jwt_algorithm,
                DecodingKey::from_secret(&secret),
                &args.jwt_issuer,
                &args.jwt_audience,
                args.jwt_leeway,
            );
            if let Some(previous) = &args.jwt_previous_key_file {
                let previous = read_or_create_secret(previous, false)?;
                authenticator = authenticator.with_previous_key(DecodingKey::from_secret(&previous));
            }
            let issuer = TokenIssuer::new(
                args.jwt_algorithm,
                EncodingKey::from_secret(&secret),
                &args.jwt_issuer,
                &args.jwt_audience,
            );
            Ok((authenticator, Some(issuer)))
        }
        JwtAlgorithm::Rs256 | JwtAlgorithm::EdDsa => {
            let public_path = args
                .jwt_public_key_file
                .as_ref()
                .ok_or_else(|| AuthError::Keys("RS256 and EdDSA need --jwt-public-key-file".into()))?;
            let public = read(public_path)?;
            let decoding = match args.jwt_algorithm {
                JwtAlgorithm::Rs256 => DecodingKey::from_rsa_pem(&public),
                _ => DecodingKey::from_ed_pem(&public),
            }
            .map_err(|e| AuthError::Keys(format!("{}: {e}", public_path.display())))?;
            let mut authenticator = Authenticator::new(
                args.jwt_algorithm,
                decoding,
                &args.jwt_issuer,
                &args.jwt_audience,
                args.jwt_leeway,
            );
            if let Some(path) = &args.jwt_previous_key_file {
                let previous = read(path)?;
                let previous = match args.jwt_algorithm {
                    JwtAlgorithm::Rs256 => DecodingKey::from_rsa_pem(&previous),
                    _ => DecodingKey::from_ed_pem(&previous),
                }
                .map_err(|e| AuthError::Keys(format!("{}: {e}", path.display())))?;
                authenticator = authenticator.with_previous_key(previous);
            }
            let issuer = match &args.jwt_private_key_file {
                None => None,
                Some(path) => {
                    let private = read(path)?;
                    let encoding = match args.jwt_algorithm {
                        JwtAlgorithm::Rs256 => EncodingKey::from_rsa_pem(&private),
                        _ => EncodingKey::from_ed_pem(&private),
                    }
                    .map_err(|e| AuthError::Keys(format!("{}: {e}", path.display())))?;
                    Some(TokenIssuer::new(
                        args.jwt_algorithm,
                        encoding,
                        &args.jwt_issuer,
                        &args.jwt_audience,
                    ))
                }
            };
            Ok((authenticator, issuer))
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, AuthError> {
    std::fs::read(path).map_err(|e| AuthError::Keys(format!("{}: {e}", path.display())))
}

fn read_or_create_secret(path: &Path, create: bool) -> Result<Vec<u8>, AuthError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let secret = String::from_utf8_lossy(&bytes).trim().as_bytes().to_vec();
            if secret.len() < 32 {
                return Err(AuthError::Keys(format!(
                    "{}: an HS256 secret needs at least 32 bytes",
                    path.display()
                )));
            }
            Ok(secret)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
            let mut raw = [0u8; 32];
            getrandom::fill(&mut raw).map_err(|e| AuthError::Keys(e.to_string()))?;
            let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| AuthError::Keys(format!("{}: {e}", dir.display())))?;
            }
            write_private(path, text.as_bytes())?;
            tracing::info!(path = %path.display(), "created a new token signing key");
            Ok(text.into_bytes())
        }
        Err(e) => Err(AuthError::Keys(format!(
            "{}: {e}; run `lacak up` once to create it, or pass --jwt-secret-file",
            path.display()
        ))),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), AuthError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| AuthError::Keys(format!("{}: {e}", path.display())))?;
    file.write_all(bytes)
        .map_err(|e| AuthError::Keys(format!("{}: {e}", path.display())))
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), AuthError> {
    std::fs::write(path, bytes).map_err(|e| AuthError::Keys(format!("{}: {e}", path.display())))
}
