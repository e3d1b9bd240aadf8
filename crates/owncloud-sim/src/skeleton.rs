//! The skeleton copied into a new home on first login, and the first-login race around it.

use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::Notify;

use crate::tree::{Tree, TreeError};

/// Text of ownCloud's `welcome.txt`.
const WELCOME: &str = "Welcome to your ownCloud account!

This is just an example file for developers and git users.
The packaged and released versions will come with better examples.
";

/// A one-page PDF of exactly `size` bytes from 1 KiB up (a little more below that, where the
/// padding object's own framing is more than the room left; its minimum is a few hundred):
/// offsets in the xref table are computed, so readers accept it, and an unreferenced
/// stream object pads it to the size asked for.
pub(crate) fn manual_pdf(size: usize) -> Bytes {
    let build = |pad: usize| {
        let stream = "BT /F1 18 Tf 72 720 Td (ownCloud Manual - owncloud-sim) Tj ET";
        let mut objects = vec![
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] \
             /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>"
                .to_owned(),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
            format!(
                "<< /Length {} >>\nstream\n{stream}\nendstream",
                stream.len()
            ),
        ];
        if pad > 0 {
            objects.push(format!(
                "<< /Length {pad} >>\nstream\n{}\nendstream",
                "0".repeat(pad)
            ));
        }
        let mut out = String::from("%PDF-1.4\n");
        let mut offsets = Vec::new();
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.push_str(&format!("{} 0 obj\n{body}\nendobj\n", i + 1));
        }
        let xref = out.len();
        out.push_str(&format!(
            "xref\n0 {}\n0000000000 65535 f \n",
            objects.len() + 1
        ));
        for off in offsets {
            out.push_str(&format!("{off:010} 00000 n \n"));
        }
        out.push_str(&format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        ));
        out
    };
    let bare = build(0);
    if size <= bare.len() {
        return Bytes::from(bare);
    }
    // The padding object's own framing and the grown offsets change the length by a few
    // bytes each round; two or three rounds land on the size exactly.
    let mut pad = size - bare.len();
    let mut out = build(pad);
    for _ in 0..4 {
        if out.len() == size {
            break;
        }
        pad = (pad + size).saturating_sub(out.len()).max(1);
        out = build(pad);
    }
    Bytes::from(out)
}

/// Fills an empty home with ownCloud's skeleton; `manual` is the server's one manual PDF
/// (shared, not copied, by every home in memory).
pub(crate) fn fill(tree: &mut Tree, manual: &Bytes) -> Result<(), TreeError> {
    tree.put("ownCloud Manual.pdf", manual.clone())?;
    tree.put("welcome.txt", Bytes::from_static(WELCOME.as_bytes()))?;
    for dir in ["Documents", "Photos"] {
        match tree.mkcol(dir) {
            Ok(()) | Err(TreeError::Exists) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

const NEW: u8 = 0;
const COPYING: u8 = 1;
const READY: u8 = 2;

/// Where a home is in its first-login life.
#[derive(Debug, Default)]
pub(crate) struct HomeState {
    state: AtomicU8,
    ready: Notify,
}

/// A concurrent first request lost the race for the skeleton copy.
#[derive(Debug)]
pub(crate) struct Locked;

impl HomeState {
    /// A home that needs no first-login copy (the admin's, made at start).
    pub(crate) fn ready() -> Self {
        Self {
            state: AtomicU8::new(READY),
            ready: Notify::new(),
        }
    }

    /// True once the skeleton is in place (the cheap check of the hot path).
    pub(crate) fn is_ready(&self) -> bool {
        self.state.load(Ordering::Acquire) == READY
    }

    /// Makes sure the home is set up before a request of its owner runs.
    ///
    /// The first caller copies (taking `copy_time`); with `race` a caller arriving meanwhile
    /// gets [`Locked`] like on ownCloud, without it it waits. The copy runs in its own task so a
    /// client hanging up mid-copy cannot leave the home half made and locked forever.
    pub(crate) async fn ensure<F>(
        self: &std::sync::Arc<Self>,
        race: bool,
        copy_time: Duration,
        copy: F,
    ) -> Result<(), Locked>
    where
        F: FnOnce() + Send + 'static,
    {
        loop {
            match self.state.load(Ordering::Acquire) {
                READY => return Ok(()),
                NEW => {
                    if self
                        .state
                        .compare_exchange(NEW, COPYING, Ordering::AcqRel, Ordering::Acquire)
                        .is_err()
                    {
                        continue;
                    }
                    let me = self.clone();
                    let job = tokio::spawn(async move {
                        if !copy_time.is_zero() {
                            tokio::time::sleep(copy_time).await;
                        }
                        copy();
                        me.state.store(READY, Ordering::Release);
                        me.ready.notify_waiters();
                    });
                    let _ = job.await;
                    return Ok(());
                }
                _ if race => return Err(Locked),
                _ => {
                    let notified = self.ready.notified();
                    tokio::pin!(notified);
                    notified.as_mut().enable();
                    if self.is_ready() {
                        return Ok(());
                    }
                    notified.await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn pdf_is_well_formed_at_every_size() {
        let bare = manual_pdf(0).len();
        for size in [
            0,
            100,
            bare,
            bare + 1,
            1000,
            1024,
            9_999,
            1_234_567,
            4 * 1024 * 1024,
        ] {
            let pdf = manual_pdf(size);
            if size >= 1024 || size <= bare {
                assert_eq!(pdf.len(), size.max(bare), "size {size}");
            } else {
                assert!(
                    (size..1024).contains(&pdf.len()),
                    "size {size}: {}",
                    pdf.len()
                );
            }
            let text = std::str::from_utf8(&pdf).unwrap();
            assert!(text.starts_with("%PDF-1.4") && text.ends_with("%%EOF\n"));
            let xref: usize = text
                .rsplit("startxref\n")
                .next()
                .unwrap()
                .lines()
                .next()
                .unwrap()
                .parse()
                .unwrap();
            assert!(text[xref..].starts_with("xref"), "size {size}");
            // Every xref offset points at its object.
            for (n, line) in text[xref..]
                .lines()
                .skip(3)
                .take_while(|l| l.ends_with(" n "))
                .enumerate()
            {
                let offset: usize = line[..10].parse().unwrap();
                assert!(
                    text[offset..].starts_with(&format!("{} 0 obj", n + 1)),
                    "size {size} object {}",
                    n + 1
                );
            }
        }
    }

    #[tokio::test]
    async fn race_and_wait() {
        let home = Arc::new(HomeState::default());
        let first = {
            let h = home.clone();
            tokio::spawn(async move { h.ensure(true, Duration::from_millis(50), || {}).await })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(home.ensure(true, Duration::ZERO, || {}).await.is_err());
        assert!(home.ensure(false, Duration::ZERO, || {}).await.is_ok());
        assert!(home.is_ready());
        assert!(first.await.unwrap().is_ok());
    }
}
