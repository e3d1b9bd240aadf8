//! A tiny raw HTTP/1.1 client for the tests: it writes exactly what a test says and reads the
//! answer byte by byte, so nothing between the test and the simulator hides behaviour.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;

use base64::Engine as _;
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

/// A request to send.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_owned(), v.to_owned()));
        self
    }

    pub fn basic(self, user: &str, password: &str) -> Self {
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.header("Authorization", &format!("Basic {token}"))
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    pub fn form(self, pairs: &[(&str, &str)]) -> Self {
        let enc = |s: &str| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        let text = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.header("Content-Type", "application/x-www-form-urlencoded")
            .body(text)
    }

    pub fn jar(self, jar: &Jar) -> Self {
        match jar.header() {
            Some(c) => self.header("Cookie", &c),
            None => self,
        }
    }
}

/// A parsed response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Cookies collected from `Set-Cookie`.
#[derive(Debug, Default, Clone)]
pub struct Jar(pub BTreeMap<String, String>);

impl Jar {
    pub fn absorb(&mut self, r: &Resp) {
        for sc in r.all("set-cookie") {
            let first = sc.split(';').next().unwrap_or("");
            if let Some((k, v)) = first.split_once('=') {
                self.0.insert(k.trim().to_owned(), v.trim().to_owned());
            }
        }
    }

    pub fn header(&self) -> Option<String> {
        (!self.0.is_empty()).then(|| {
            self.0
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

/// One kept-alive connection.
pub struct Conn {
    stream: BufReader<TcpStream>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Self {
        let s = TcpStream::connect(addr).await.expect("connect");
        s.set_nodelay(true).unwrap();
        Self {
            stream: BufReader::new(s),
        }
    }

    /// Writes raw bytes (for malformed requests).
    pub async fn raw(&mut self, bytes: &[u8]) {
        self.stream.get_mut().write_all(bytes).await.expect("write");
    }

    pub async fn send(&mut self, req: &Req) -> std::io::Result<Resp> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: localhost\r\n",
            req.method, req.path
        );
        for (k, v) in &req.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !req.body.is_empty() || matches!(req.method.as_str(), "PUT" | "POST") {
            head.push_str(&format!("Content-Length: {}\r\n", req.body.len()));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&req.body);
        self.stream.get_mut().write_all(&bytes).await?;
        self.read(req.method == "HEAD").await
    }

    pub async fn read(&mut self, head_only: bool) -> std::io::Result<Resp> {
        let mut line = String::new();
        if self.stream.read_line(&mut line).await? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "closed",
            ));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {line:?}"));
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.stream.read_line(&mut line).await?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (k, v) = l.split_once(':').expect("header line");
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        let mut resp = Resp {
            status,
            headers,
            body: Vec::new(),
        };
        assert!(
            resp.header("transfer-encoding").is_none(),
            "the simulator always sends a length"
        );
        let len: usize = resp
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if !head_only && status != 204 && status != 304 {
            resp.body = vec![0; len];
            self.stream.read_exact(&mut resp.body).await?;
        }
        Ok(resp)
    }

    /// True when the server closed the connection (EOF on read).
    pub async fn is_closed(&mut self) -> bool {
        let mut buf = [0u8; 1];
        matches!(
            tokio::time::timeout(
                std::time::Duration::from_secs(2),
                self.stream.read(&mut buf)
            )
            .await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }
}

/// One request on a fresh connection.
pub async fn send(addr: SocketAddr, req: &Req) -> Resp {
    Conn::open(addr).await.send(req).await.expect("response")
}

/// OCS meta as (status, statuscode, message) from a JSON or XML body.
pub fn ocs_meta(r: &Resp) -> (String, u16, Option<String>) {
    let text = r.text();
    if text.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        let m = &v["ocs"]["meta"];
        (
            m["status"].as_str().expect("status").to_owned(),
            m["statuscode"].as_u64().expect("statuscode") as u16,
            m["message"].as_str().map(str::to_owned),
        )
    } else {
        let status = xml_text(&text, "status").expect("status");
        let code = xml_text(&text, "statuscode")
            .expect("statuscode")
            .parse()
            .expect("number");
        (status, code, xml_text(&text, "message"))
    }
}

/// Text of the first `<tag>..</tag>`; `None` for `<tag/>` or absence.
pub fn xml_text(text: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{tag}>"))? + start;
    Some(text[start..end].to_owned())
}

/// `element` values inside `<list>` in XML, or `data.list` in JSON.
pub fn ocs_list(r: &Resp, list: &str) -> Vec<String> {
    let text = r.text();
    if text.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        v["ocs"]["data"][list]
            .as_array()
            .unwrap_or_else(|| panic!("no data.{list} in {text}"))
            .iter()
            .map(|e| e.as_str().expect("string").to_owned())
            .collect()
    } else {
        let Some(inner) = xml_text(&text, list) else {
            assert!(
                text.contains(&format!("<{list}/>")),
                "no <{list}> in {text}"
            );
            return Vec::new();
        };
        inner
            .split("<element>")
            .skip(1)
            .map(|s| s.split("</element>").next().unwrap_or("").to_owned())
            .collect()
    }
}

/// Count of `<d:response>` elements in a multistatus.
pub fn responses(body: &str) -> usize {
    body.matches("<d:response>").count()
}

/// `(href, getetag, getcontentlength)` of each response of a multistatus.
pub fn propfind_entries(body: &str) -> Vec<(String, Option<String>, Option<u64>)> {
    body.split("<d:response>")
        .skip(1)
        .map(|r| {
            (
                xml_text(r, "d:href").expect("href"),
                xml_text(r, "d:getetag").map(|e| e.replace("&quot;", "\"")),
                xml_text(r, "d:getcontentlength").map(|l| l.parse().expect("length")),
            )
        })
        .collect()
}
