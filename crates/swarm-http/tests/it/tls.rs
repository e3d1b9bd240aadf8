//! https against a local rustls server with a self-signed certificate: refused by default,
//! accepted with `insecure` or with the certificate as an extra root; http and https on
//! one session.

use crate::support::{Req, client_with, failures, resp, serve};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::convert::Infallible;
use std::sync::Arc;
use swarm_http::{ClientOptions, Session};
use tokio::net::TcpListener;

/// Starts an https server; returns its address and certificate.
async fn https_server() -> (std::net::SocketAddr, CertificateDer<'static>) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert.clone()], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let svc = service_fn(|_req| async { Ok::<_, Infallible>(resp(200, "secure")) });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    (addr, cert)
}

#[tokio::test]
async fn self_signed_refused_by_default() {
    let (addr, _) = https_server().await;
    let (client, metrics) = client_with(ClientOptions::default());
    let s = Session::new(&client, &format!("https://{addr}")).unwrap();
    let err = s.get("/").send().await.unwrap_err();
    assert_eq!(err.to_string(), "tls: invalid certificate: unknown issuer");
    assert!(err.is_recorded());
    assert_eq!(failures(&metrics).len(), 1);
}

#[tokio::test]
async fn insecure_and_extra_root_accept_it() {
    let (addr, cert) = https_server().await;
    let (insecure, _) = client_with(ClientOptions::default().insecure(true));
    let s = Session::new(&insecure, &format!("https://{addr}")).unwrap();
    for _ in 0..3 {
        assert_eq!(s.get("/").fetch().await.unwrap().text(), "secure");
    }
    assert_eq!(s.idle_connections(), 1);

    let (trusting, _) = client_with(ClientOptions::default().add_root_certificate(cert));
    let port = addr.port();
    let s = Session::new(&trusting, &format!("https://localhost:{port}")).unwrap();
    assert_eq!(s.get("/").fetch().await.unwrap().text(), "secure");
}

#[tokio::test]
async fn http_and_https_on_one_session() {
    let (tls_addr, _) = https_server().await;
    let plain = serve(|_req: Req| async { resp(200, "plain") }).await;
    let (client, metrics) = client_with(ClientOptions::default().insecure(true));
    let s = Session::new(&client, &plain.url()).unwrap();
    for _ in 0..3 {
        assert_eq!(s.get("/").fetch().await.unwrap().text(), "plain");
        let secure = format!("https://{tls_addr}/");
        assert_eq!(s.get(secure).fetch().await.unwrap().text(), "secure");
    }
    assert_eq!(s.idle_connections(), 2);
    assert_eq!(plain.connections(), 1);
    assert_eq!(metrics.snapshot().total.num_failures, 0);
}
