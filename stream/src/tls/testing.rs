//! Throwaway certificates for tests and demos (feature `tls-testing`).
//!
//! [`ThrowawayPki`] makes a fresh CA and a server certificate signed by it,
//! in memory, each time it is called: nothing is checked in that can expire,
//! and nothing here is fit to protect real traffic.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::{ClientTls, ServerTls};
use crate::Error;

static SERIAL: AtomicUsize = AtomicUsize::new(0);

/// A fresh CA and a server certificate for some names, as PEM text.
///
/// For tests and demos only: the keys live in memory and in whatever files
/// the caller writes. Every CA gets a name of its own, so two of them never
/// look like the same issuer to a verifier.
///
/// # Examples
///
/// ```
/// use weir_stream::tls::testing::ThrowawayPki;
/// let pki = ThrowawayPki::new(&["localhost", "127.0.0.1"])?;
/// let (client, server) = (pki.client()?, pki.server()?);
/// assert!(pki.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
/// # let _ = (client, server);
/// # Ok::<(), weir_stream::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ThrowawayPki {
    /// The CA certificate, for the client to trust.
    pub ca_pem: String,
    /// The server's certificate (its chain: the leaf alone).
    pub chain_pem: String,
    /// The server's private key.
    pub key_pem: String,
}

fn gen_error(e: rcgen::Error) -> Error {
    Error::connection(std::io::Error::other(format!(
        "making a throwaway certificate failed: {e}"
    )))
}

impl ThrowawayPki {
    /// A CA and a server certificate for `names` (DNS names or IP addresses).
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] if rcgen cannot make the certificates (for
    /// example, a name that is not a valid DNS name or address).
    ///
    /// # Examples
    ///
    /// ```
    /// let pki = weir_stream::tls::testing::ThrowawayPki::new(&["localhost"])?;
    /// assert!(pki.key_pem.contains("PRIVATE KEY"));
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn new(names: &[&str]) -> Result<ThrowawayPki, Error> {
        let ca_key = rcgen::KeyPair::generate().map_err(gen_error)?;
        let mut ca_params =
            rcgen::CertificateParams::new(Vec::<String>::new()).map_err(gen_error)?;
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(
            rcgen::DnType::CommonName,
            format!(
                "weir throwaway CA {}-{}",
                std::process::id(),
                SERIAL.fetch_add(1, Ordering::Relaxed)
            ),
        );
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).map_err(gen_error)?;
        let key = rcgen::KeyPair::generate().map_err(gen_error)?;
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let cert = rcgen::CertificateParams::new(names)
            .map_err(gen_error)?
            .signed_by(&key, &ca)
            .map_err(gen_error)?;
        Ok(ThrowawayPki {
            ca_pem: ca.pem(),
            chain_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// A client trusting this CA.
    ///
    /// # Errors
    ///
    /// As [`ClientTls::from_ca_pem`].
    ///
    /// # Examples
    ///
    /// ```
    /// let client = weir_stream::tls::testing::ThrowawayPki::new(&["localhost"])?.client()?;
    /// # let _ = client;
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn client(&self) -> Result<ClientTls, Error> {
        ClientTls::from_ca_pem(self.ca_pem.as_bytes())
    }

    /// A server presenting this certificate.
    ///
    /// # Errors
    ///
    /// As [`ServerTls::from_pem`].
    ///
    /// # Examples
    ///
    /// ```
    /// let server = weir_stream::tls::testing::ThrowawayPki::new(&["localhost"])?.server()?;
    /// # let _ = server;
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn server(&self) -> Result<ServerTls, Error> {
        ServerTls::from_pem(self.chain_pem.as_bytes(), self.key_pem.as_bytes())
    }

    /// Writes `ca.pem`, `cert.pem` and `key.pem` into `dir` (which must exist).
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] naming the file that could not be written.
    ///
    /// # Examples
    ///
    /// ```
    /// let dir = std::env::temp_dir();
    /// weir_stream::tls::testing::ThrowawayPki::new(&["localhost"])?.write_to(&dir)?;
    /// assert!(dir.join("ca.pem").exists());
    /// # Ok::<(), weir_stream::Error>(())
    /// ```
    pub fn write_to(&self, dir: &std::path::Path) -> Result<(), Error> {
        for (name, text) in [
            ("ca.pem", &self.ca_pem),
            ("cert.pem", &self.chain_pem),
            ("key.pem", &self.key_pem),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, text).map_err(|e| {
                Error::connection(std::io::Error::new(
                    e.kind(),
                    format!("cannot write {}: {e}", path.display()),
                ))
            })?;
        }
        Ok(())
    }
}
