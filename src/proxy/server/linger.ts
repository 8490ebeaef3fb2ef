// Closing a connection whose upload we did not read (413, 415, 401 answered before the body
// ended). Closing at once with unread bytes makes the kernel answer the client's next write
// with RST, and a client still uploading sees EPIPE or ECONNRESET instead of our answer.
// RFC 9112 §9.6 asks for a "lingering close": send our FIN, keep reading and dropping what
// the client still sends for a while, then close.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How long the rest of an upload may keep a closed request's socket open (nginx waits 5 s). */
const LINGER_MS = 5_000;

const lingering = new WeakSet<Socket>();

/**
 * True for a socket being drained after its answer: a request parsed from it (a client that
 * pipelined one after the dropped upload) can get no answer, and must not reach Kiro.
 */
export function isLingering(socket: Socket | null): boolean {
  return socket !== null && lingering.has(socket);
}

/** Call before the answer is sent; the answer must carry `Connection: close`. */
export function closeAfterDraining(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket as Socket | null;
  if (!socket) return;
  // Whatever the handler left unread flows and is dropped (Node does this itself for a body
  // nobody touched; a body read halfway needs it here).
  if (!req.destroyed) req.resume();
  res.once('finish', () => {
    // Node ends the socket for `Connection: close` and destroys it once our FIN is out
    // (net.Socket#destroySoon); keep it open to read the rest instead, within a time bound.
    socket.removeListener('finish', socket.destroy);
    lingering.add(socket);
    const close = () => {
      clearTimeout(timer);
      socket.destroy();
    };
    const timer = setTimeout(close, LINGER_MS);
    timer.unref();
    socket.once('end', close);
    socket.once('close', () => clearTimeout(timer));
    socket.resume();
  });
}
