//! Length-prefixed frames for the sync protocol, bounded in both directions.

use std::io;

use futures::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use libp2p::StreamProtocol;

/// An inbound request as read off the stream. An oversized frame is reported rather than
/// failing the read, because request-response hides read failures from the behaviour and the
/// node needs to know which peer to drop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inbound {
    /// A frame within the bound.
    Frame(Vec<u8>),
    /// A frame announced as this many bytes, over the bound; none of it was read.
    Oversized(usize),
}

/// Reads and writes one frame per request and per response: a 4-byte big-endian length, then
/// that many bytes. A frame over the bound is an error before any of it is read.
#[derive(Clone, Debug)]
pub struct FrameCodec {
    max: usize,
}

impl FrameCodec {
    /// A codec that refuses frames longer than `max`.
    pub fn new(max: usize) -> Self {
        Self { max }
    }

    async fn read<T: AsyncRead + Unpin + Send>(&self, io: &mut T) -> io::Result<Vec<u8>> {
        let mut len = [0u8; 4];
        io.read_exact(&mut len).await?;
        let len = u32::from_be_bytes(len) as usize;
        if len > self.max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("frame of {len} bytes is over the {}-byte limit", self.max),
            ));
        }
        let mut buf = vec![0u8; len];
        io.read_exact(&mut buf).await?;
        Ok(buf)
    }

    async fn write<T: AsyncWrite + Unpin + Send>(&self, io: &mut T, data: Vec<u8>) -> io::Result<()> {
        if data.len() > self.max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "frame over the limit",
            ));
        }
        io.write_all(&(data.len() as u32).to_be_bytes()).await?;
        io.write_all(&data).await?;
        io.close().await
    }
}

impl libp2p::request_response::Codec for FrameCodec {
    type Protocol = StreamProtocol;
    type Request = Inbound;
    type Response = Vec<u8>;

    async fn read_request<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Inbound>
    where
        T: AsyncRead + Unpin + Send,
    {
        match self.read(io).await {
            Ok(f) => Ok(Inbound::Frame(f)),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                let n = e
                    .to_string()
                    .split_whitespace()
                    .nth(2)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                Ok(Inbound::Oversized(n))
            }
            Err(e) => Err(e),
        }
    }

    async fn read_response<T>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Vec<u8>>
    where
        T: AsyncRead + Unpin + Send,
    {
        self.read(io).await
    }

    async fn write_request<T>(&mut self, _: &StreamProtocol, io: &mut T, req: Inbound) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        match req {
            Inbound::Frame(f) => self.write(io, f).await,
            Inbound::Oversized(_) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "frame over the limit",
            )),
        }
    }

    async fn write_response<T>(&mut self, _: &StreamProtocol, io: &mut T, res: Vec<u8>) -> io::Result<()>
    where
        T: AsyncWrite + Unpin + Send,
    {
        self.write(io, res).await
    }
}
