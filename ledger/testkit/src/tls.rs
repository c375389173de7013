//! TEST ONLY certificates for a server that offers TLS: a certificate
//! authority and a server certificate for `127.0.0.1` it signed, made
//! with the `openssl` command for each server (Debian's `openssl`
//! package), valid for two days, never kept.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::checked;

/// The files a TLS server uses, and the CA a client trusts.
#[derive(Debug, Clone)]
pub(crate) struct Certificates {
    /// The CA's certificate (PEM): what `sslrootcert` names.
    pub(crate) ca: PathBuf,
    /// The server's certificate (PEM).
    pub(crate) cert: PathBuf,
    /// The server's private key (PEM), readable by its owner only.
    pub(crate) key: PathBuf,
}

fn openssl(dir: &Path, what: &str, args: &[&str]) -> Result<(), String> {
    checked(
        what,
        Command::new("openssl").current_dir(dir).args(args).output(),
    )
    .map(drop)
    .map_err(|e| format!("{e} (is Debian's `openssl` package installed?)"))
}

/// Makes the CA and the server certificate in `dir`.
pub(crate) fn make(dir: &Path) -> Result<Certificates, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca_args = vec!["req", "-x509"];
    ca_args.extend(ec);
    ca_args.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=pasarela TEST ONLY CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(dir, "openssl: the test CA", &ca_args)?;
    let mut csr_args = vec!["req"];
    csr_args.extend(ec);
    csr_args.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    openssl(dir, "openssl: the server's request", &csr_args)?;
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\n\
         subjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .map_err(|e| format!("cannot write server.ext: {e}"))?;
    openssl(
        dir,
        "openssl: the server's certificate",
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    )?;
    Ok(Certificates {
        ca: dir.join("ca.pem"),
        cert: dir.join("server.crt"),
        key: dir.join("server.key"),
    })
}
