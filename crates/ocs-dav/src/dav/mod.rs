//! WebDAV files under `/remote.php/dav/files/{user}/`.

pub mod multistatus;
