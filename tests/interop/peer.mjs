// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors
//
// One js-libp2p node (TCP + Noise + Yamux, identify, ping, kad-dht; on request a hivemind DHT stand-in) driven over
// stdin/stdout with JSON lines, as an independent peer for the KwaaiNet.Libp2p interop tests. Usage and the command
// list: README.md.
//
//   node --import ./polyfill.mjs peer.mjs [--seed <64 hex> | --rsa] [--listen <multiaddr>]... [--no-kad]
//
// stdout carries only JSON lines: one {"event":"ready",...}, then replies {"id":N,"ok":...} and events. Logs go to
// stderr. The node stops when stdin closes or on {"cmd":"stop"}.

import { setMaxListeners } from 'node:events'
import { createInterface } from 'node:readline'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { identify, identifyPush } from '@libp2p/identify'
import { kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { peerIdFromMultihash, peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import * as Digest from 'multiformats/hashes/digest'

const ECHO_PROTOCOL = '/kwaainet/echo/1.0.0'
const PERF_PROTOCOL = '/perf/1.0.0'
const KAD_PROTOCOL = '/ipfs/kad/1.0.0'
// Hivemind registers unary handlers under "<Servicer>.<rpc_method>" with no leading slash (research §5.2).
const UNARY_TEST_PROTOCOL = 'kwaainet.test.rpc_echo'
// go-libp2p-daemon's default -persistentConnMaxMsgSize (research §5.1).
const UNARY_MAX_FRAME = 4 * 1024 * 1024
// What a unary reply read by this peer may be; larger than the daemon's limit so that the tests see the bytes.
const UNARY_MAX_REPLY = 16 * 1024 * 1024
// The daemon cancels a unary call when the caller's stream ends before the reply (research §5.4 step 4).
const UNARY_EOF_WATCH_MS = 50
const CHUNK = 64 * 1024
const MAX_STREAMS_PER_PROTOCOL = 1024
const RAW_STREAM_MAX_BYTES = 16 * 1024 * 1024

// ---------------------------------------------------------------------------------------------------------------
// Output

function emit (obj) {
  process.stdout.write(JSON.stringify(obj) + '\n')
}

function logErr (...args) {
  process.stderr.write(`[peer] ${args.join(' ')}\n`)
}

function errorText (err) {
  if (err == null) return 'unknown error'
  const name = err.name != null && err.name !== 'Error' ? `${err.name}: ` : ''
  return `${name}${err.message ?? String(err)}`
}

// ---------------------------------------------------------------------------------------------------------------
// Bytes, varints and a tiny protobuf codec (proto2 messages of research §5.3, hand-encoded)

function fromHex (hex, what) {
  if (hex == null) return new Uint8Array(0)
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new Error(`${what} must be an even-length hex string`)
  }
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

function toHex (bytes) {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

function concat (parts) {
  const total = parts.reduce((n, p) => n + p.byteLength, 0)
  const out = new Uint8Array(total)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.byteLength
  }
  return out
}

function uvarint (value) {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`cannot encode ${value} as a uvarint`)
  const out = []
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80)
    value = Math.floor(value / 0x80)
  }
  out.push(value)
  return Uint8Array.from(out)
}

const utf8 = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: false })

/** A length-delimited protobuf field (wire type 2). */
function pbField (field, bytes) {
  return concat([uvarint((field << 3) | 2), uvarint(bytes.byteLength), bytes])
}

/** Parses a protobuf message into Map<field, Array<Uint8Array | number>>; throws on malformed input. */
function pbParse (buf) {
  const fields = new Map()
  let pos = 0
  const readVarint = () => {
    let result = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.byteLength) throw new Error('truncated varint')
      const b = buf[pos++]
      result += (b & 0x7f) * scale
      if ((b & 0x80) === 0) return result
      scale *= 0x80
    }
    throw new Error('varint longer than 10 bytes')
  }
  while (pos < buf.byteLength) {
    const key = readVarint()
    const field = Math.floor(key / 8)
    const wire = key % 8
    if (field === 0) throw new Error('field number 0')
    let value
    if (wire === 0) {
      value = readVarint()
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4
      if (pos + n > buf.byteLength) throw new Error('truncated fixed field')
      value = buf.subarray(pos, pos + n)
      pos += n
    } else if (wire === 2) {
      const len = readVarint()
      if (len > buf.byteLength - pos) throw new Error(`field ${field} length ${len} runs past the message`)
      value = buf.subarray(pos, pos + len)
      pos += len
    } else {
      throw new Error(`unsupported wire type ${wire}`)
    }
    if (!fields.has(field)) fields.set(field, [])
    fields.get(field).push({ wire, value })
  }
  return fields
}

/** The last occurrence of a length-delimited field (protobuf: last one wins), or undefined. */
function pbBytes (fields, field) {
  const all = fields.get(field)
  if (all == null) return undefined
  const last = all[all.length - 1]
  if (last.wire !== 2) throw new Error(`field ${field} has wire type ${last.wire}, expected 2`)
  return last.value
}

// PersistentConnectionRequest{callId(1), callUnary(3){peer(1), proto(2), data(3)}}: every field is proto2
// `required`, data included even when empty (research §5.3).
function encodeCallUnary (callId, peer, proto, data) {
  const call = concat([pbField(1, peer), pbField(2, utf8.encode(proto)), pbField(3, data)])
  return concat([pbField(1, callId), pbField(3, call)])
}

// PersistentConnectionRequest{callId(1), unaryResponse(4){response(1) | error(2)}}
function encodeUnaryResponse (callId, result) {
  const inner = result.error != null ? pbField(2, utf8.encode(result.error)) : pbField(1, result.response)
  return concat([pbField(1, callId), pbField(4, inner)])
}

function lengthPrefixed (message) {
  return concat([uvarint(message.byteLength), message])
}

function peerIdText (bytes) {
  try {
    return peerIdFromMultihash(Digest.decode(bytes)).toString()
  } catch {
    return null
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Streams: a pull reader with backpressure over libp2p 3's event-based message streams

class EndOfStreamError extends Error {
  constructor (message) {
    super(message)
    this.name = 'EndOfStreamError'
  }
}

/**
 * Queues what a stream delivers and hands it out with read(); pauses the stream (yamux then stops granting window)
 * while more than `highWater` bytes wait, so a slow consumer never buffers a whole transfer.
 */
class StreamReader {
  #stream
  #chunks = []
  #buffered = 0
  #highWater
  #remoteDone = false
  #pauseQueued = false
  #error = null
  #wake = null

  constructor (stream, { highWater = 1024 * 1024 } = {}) {
    this.#stream = stream
    this.#highWater = highWater
    // After pause() the remote may still send up to its current window (yamux: up to 16 MiB); the default 4 MiB
    // read-buffer cap would reset the stream instead.
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength ?? 0, 64 * 1024 * 1024)
    stream.addEventListener('message', (evt) => this.#onData(evt.data))
    // A FIN may ride on the last data frame; yamux signals the FIN before it delivers that frame's data, so
    // the end is only acted on after the current task has finished delivering.
    const onEnd = () => setImmediate(() => {
      this.#remoteDone = true
      this.#notify()
    })
    stream.addEventListener('remoteCloseWrite', onEnd)
    stream.addEventListener('end', onEnd)
    stream.addEventListener('close', (evt) => {
      if (evt.error != null && this.#error == null) this.#error = evt.error
      onEnd()
    })
    if (stream.remoteWriteStatus === 'closed' || stream.readableEnded || stream.status !== 'open') onEnd()
  }

  /** True when the stream was reset or aborted (rather than ended by a FIN). */
  get failed () {
    return this.#error != null
  }

  #onData (data) {
    const parts = data instanceof Uint8Array ? [data] : [...data]
    for (const part of parts) {
      if (part.byteLength === 0) continue
      this.#chunks.push(part)
      this.#buffered += part.byteLength
    }
    if (this.#buffered > this.#highWater && !this.#pauseQueued) {
      // Not pause() right here: this may run inside resume(), which tells yamux to resume after dispatching, so a
      // nested pause would be undone at the muxer and the window would keep growing.
      this.#pauseQueued = true
      queueMicrotask(() => {
        this.#pauseQueued = false
        if (this.#buffered > this.#highWater && this.#stream.readStatus === 'readable') this.#stream.pause()
      })
    }
    this.#notify()
  }

  #notify () {
    const wake = this.#wake
    this.#wake = null
    wake?.()
  }

  #maybeResume () {
    if (this.#buffered <= this.#highWater / 2 && this.#stream.readStatus === 'paused') this.#stream.resume()
  }

  /** The next bytes (at most `max`), or null at a clean end of stream; throws when the stream was reset. */
  async read (max = Infinity) {
    for (;;) {
      if (this.#chunks.length > 0) {
        let chunk = this.#chunks[0]
        if (chunk.byteLength > max) {
          this.#chunks[0] = chunk.subarray(max)
          chunk = chunk.subarray(0, max)
        } else {
          this.#chunks.shift()
        }
        this.#buffered -= chunk.byteLength
        this.#maybeResume()
        return chunk
      }
      if (this.#remoteDone) {
        if (this.#stream.readBufferLength > 0 && this.#stream.readStatus === 'paused') {
          this.#stream.resume()
          continue
        }
        if (this.#error != null) throw this.#error
        return null
      }
      this.#maybeResume()
      await new Promise((resolve) => { this.#wake = resolve })
    }
  }

  async readExactly (n) {
    const out = new Uint8Array(n)
    let offset = 0
    while (offset < n) {
      const chunk = await this.read(n - offset)
      if (chunk == null) throw new EndOfStreamError(`stream ended after ${offset} of ${n} bytes`)
      out.set(chunk, offset)
      offset += chunk.byteLength
    }
    return out
  }

  /** One uvarint-length-prefixed message of at most `max` bytes, or null at a clean end before its first byte. */
  async readFrame (max) {
    let length = 0
    let scale = 1
    for (let i = 0; ; i++) {
      if (i === 10) throw new Error('length prefix longer than 10 bytes')
      const b = await this.read(1)
      if (b == null) {
        if (i === 0) return null
        throw new EndOfStreamError('stream ended inside a length prefix')
      }
      length += (b[0] & 0x7f) * scale
      scale *= 0x80
      if ((b[0] & 0x80) === 0) break
    }
    if (length > max) throw new Error(`frame of ${length} bytes exceeds the limit of ${max}`)
    return this.readExactly(length)
  }
}

const WRITE_HIGH_WATER = 1024 * 1024

/**
 * Sends and waits while more than 1 MiB is queued. send()'s boolean alone does not bound the queue: it answers true
 * while an earlier send is still in progress, so a fast writer could queue a whole transfer (seen: 256 MiB).
 */
async function send (stream, data, signal) {
  const accepted = stream.send(data)
  if (accepted && stream.writeBufferLength <= WRITE_HIGH_WATER) return
  while (stream.writeBufferLength > WRITE_HIGH_WATER / 2 || stream.writableNeedsDrain) {
    signal?.throwIfAborted()
    if (stream.writeStatus !== 'writable' || stream.status !== 'open') throw new Error(`stream is ${stream.status} while sending`)
    // 'drain' and 'idle' cover most cases; the timer re-checks in case neither fires for a partly emptied queue.
    await new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        stream.removeEventListener('drain', done)
        stream.removeEventListener('idle', done)
        stream.removeEventListener('close', done)
        // The stream itself resumes sending on 'drain' in a microtask; re-check after it has.
        setImmediate(resolve)
      }
      const timer = setTimeout(done, 5)
      stream.addEventListener('drain', done)
      stream.addEventListener('idle', done)
      stream.addEventListener('close', done)
    })
  }
}

/** Aborts `stream` when `signal` fires; returns the detach function. */
function abortOnSignal (stream, signal) {
  if (signal == null) return () => {}
  const onAbort = () => stream.abort(signal.reason ?? new Error('aborted'))
  if (signal.aborted) onAbort()
  signal.addEventListener('abort', onAbort, { once: true })
  return () => signal.removeEventListener('abort', onAbort)
}

/** Deterministic pseudo-random bytes (xorshift32, little-endian words), the same sequence however it is chunked. */
class PatternBytes {
  #state
  #word = 0
  #left = 0

  constructor (streamIndex) {
    // Mix the index so that neighbouring streams differ from their first byte; never zero (xorshift's fixed point).
    this.#state = (Math.imul(streamIndex + 1, 0x9e3779b1) ^ 0x5bd1e995) >>> 0 || 1
  }

  fill (buf) {
    let i = 0
    while (i < buf.length && this.#left > 0) {
      buf[i++] = this.#word & 0xff
      this.#word >>>= 8
      this.#left--
    }
    let x = this.#state
    while (i + 4 <= buf.length) {
      x ^= x << 13; x >>>= 0
      x ^= x >>> 17
      x ^= x << 5; x >>>= 0
      buf[i] = x & 0xff
      buf[i + 1] = (x >>> 8) & 0xff
      buf[i + 2] = (x >>> 16) & 0xff
      buf[i + 3] = x >>> 24
      i += 4
    }
    if (i < buf.length) {
      x ^= x << 13; x >>>= 0
      x ^= x >>> 17
      x ^= x << 5; x >>>= 0
      this.#word = x
      this.#left = 4
      while (i < buf.length) {
        buf[i++] = this.#word & 0xff
        this.#word >>>= 8
        this.#left--
      }
    }
    this.#state = x
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Inbound handlers

async function handleEcho (stream, connection) {
  const reader = new StreamReader(stream)
  let bytes = 0
  let error = null
  try {
    for (;;) {
      const chunk = await reader.read()
      if (chunk == null) break
      bytes += chunk.byteLength
      await send(stream, chunk)
    }
    await stream.close()
  } catch (err) {
    error = errorText(err)
    stream.abort(err)
  }
  emit({ event: 'echoServed', from: connection.remotePeer.toString(), bytes, ended: error == null ? 'eof' : 'error', error })
}

async function handlePerf (stream, connection) {
  // libp2p perf spec: an 8-byte big-endian u64 (bytes to send back), then the upload until EOF; then the server
  // sends that many bytes and closes.
  const reader = new StreamReader(stream)
  try {
    const header = await reader.readExactly(8)
    const requested = new DataView(header.buffer, header.byteOffset, 8).getBigUint64(0, false)
    if (requested > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`perf download of ${requested} bytes is too large`)
    let uploaded = 0
    for (;;) {
      const chunk = await reader.read()
      if (chunk == null) break
      uploaded += chunk.byteLength
    }
    const zeros = new Uint8Array(CHUNK)
    let left = Number(requested)
    while (left > 0) {
      const n = Math.min(CHUNK, left)
      await send(stream, n === CHUNK ? zeros : zeros.subarray(0, n))
      left -= n
    }
    await stream.close()
    emit({ event: 'perfServed', from: connection.remotePeer.toString(), uploaded, downloaded: Number(requested) })
  } catch (err) {
    stream.abort(err)
    emit({ event: 'perfFailed', from: connection.remotePeer.toString(), error: errorText(err) })
  }
}

/** The test handler `kwaainet.test.rpc_echo`: answers with the request data, or an error for the data `fail`. */
function handleUnary (stream, connection) {
  return serveUnary(stream, connection, {
    onRequest: (request, from, protocol) => emit({
      event: 'unary',
      from,
      protocol,
      callIdHex: toHex(request.callId),
      dataHex: toHex(request.data),
      protoField: request.proto,
      targetPeerId: peerIdText(request.peer),
      targetHex: toHex(request.peer)
    }),
    answer: async (request) => {
      const isFail = Buffer.from(request.data).toString('utf8') === 'fail' && request.data.byteLength === 4
      return isFail ? { error: "ValueError('fail')" } : { response: request.data }
    }
  })
}

/**
 * Emulates go-libp2p-daemon's persistentStreamHandler for a unary handler (research §5.4 steps 4-6): reads one
 * request, reports it with `onRequest`, watches the stream for the daemon's cancel-on-EOF, then replies with what
 * `answer(request, connection, protocol)` returns ({response} or {error}) and closes.
 */
async function serveUnary (stream, connection, { onRequest, answer }) {
  const from = connection.remotePeer.toString()
  const protocol = stream.protocol
  const reader = new StreamReader(stream)
  let request
  try {
    const frame = await reader.readFrame(UNARY_MAX_FRAME)
    if (frame == null) throw new Error('stream ended before a request')
    request = decodeUnaryRequest(frame)
  } catch (err) {
    // The daemon logs and closes the stream without an answer.
    emit({ event: 'unaryBadRequest', from, protocol, reason: errorText(err) })
    await closeQuietly(stream)
    return
  }
  onRequest(request, from, protocol)
  // The daemon watches the stream (a 1-byte read) while the handler runs: EOF, data or a reset cancels the call
  // and no response is ever written.
  const watch = reader.read(1).then((b) => (b == null ? 'eof' : 'data'), () => 'reset')
  const outcome = await Promise.race([watch, new Promise((resolve) => setTimeout(() => resolve('reply'), UNARY_EOF_WATCH_MS))])
  if (outcome !== 'reply') {
    emit({ event: 'unaryEarlyEof', from, protocol, callIdHex: toHex(request.callId), reason: outcome })
    await closeQuietly(stream)
    return
  }
  try {
    const result = await answer(request, connection, protocol)
    await send(stream, lengthPrefixed(encodeUnaryResponse(request.callId, result)))
    await stream.close()
  } catch (err) {
    stream.abort(err)
    emit({ event: 'unaryReplyFailed', from, protocol, error: errorText(err) })
  }
}

function decodeUnaryRequest (frame) {
  const fields = pbParse(frame)
  const callId = pbBytes(fields, 1)
  if (callId == null) throw new Error('PersistentConnectionRequest without callId')
  if (callId.byteLength !== 16) throw new Error(`callId of ${callId.byteLength} bytes, expected a 16-byte UUID`)
  const call = pbBytes(fields, 3)
  if (call == null) throw new Error('PersistentConnectionRequest without callUnary')
  const callFields = pbParse(call)
  const peer = pbBytes(callFields, 1)
  const proto = pbBytes(callFields, 2)
  const data = pbBytes(callFields, 3)
  if (peer == null) throw new Error('CallUnaryRequest without peer')
  if (proto == null) throw new Error('CallUnaryRequest without proto')
  if (data == null) throw new Error('CallUnaryRequest without data')
  return { callId, peer, proto: utf8Decoder.decode(proto), data }
}

async function closeQuietly (stream) {
  try {
    await stream.close({ signal: AbortSignal.timeout(2000) })
  } catch (err) {
    stream.abort(err)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// A hivemind DHT node stand-in: DHTProtocol.rpc_ping/rpc_store/rpc_find over the unary emulation above, a faithful
// subset of hivemind/dht/protocol.py with the storage rules of hivemind/dht/storage.py and
// hivemind/utils/timed_storage.py (kwaainet-upstream.md §4.1). Messages: hivemind/proto/dht.proto (proto3).

const DHT_PING = 'DHTProtocol.rpc_ping'
const DHT_STORE = 'DHTProtocol.rpc_store'
const DHT_FIND = 'DHTProtocol.rpc_find'
const DHT_HANDLERS = [DHT_PING, DHT_STORE, DHT_FIND]
const DHT_ID_BYTES = 20
// hivemind's default bucket_size: how many nearest neighbours rpc_find returns per key.
const DHT_BUCKET_SIZE = 20
// Bounds of the stand-in (hivemind itself has none by default): stored keys per tier, values' total bytes, entries
// per dictionary, remembered nodes, keys per request.
const DHT_MAX_KEYS = 10_000
const DHT_MAX_STORED_BYTES = 64 * 1024 * 1024
const DHT_MAX_SUBKEYS = 1_000
const DHT_MAX_KNOWN_NODES = 1_000
const DHT_MAX_REQUEST_KEYS = 1_000
// hivemind's default wait_timeout for the validate=true dial-back ping.
const DHT_VALIDATE_TIMEOUT_MS = 3_000
// protocol.py: RESERVED_SUBKEYS = IS_REGULAR_VALUE, IS_DICTIONARY = msgpack(None), b""
const TAG_REGULAR = 0xc0
const EXT_DICTIONARY = 0x50
const FIND_TYPES = { NOT_FOUND: 0, FOUND_REGULAR: 1, FOUND_DICTIONARY: 2 }

/** An exception to answer in the unary error arm, as hivemind answers with repr(exception). */
class PythonError extends Error {
  constructor (repr) {
    super(repr)
    this.name = 'PythonError'
    this.repr = repr
  }
}

function pyRepr (type, message) {
  return `${type}(${JSON.stringify(message).replace(/^"|"$/g, "'")})`
}

// --- proto3 scalars: doubles are fixed64 little-endian; repeated scalars are packed, and parsers accept both forms

function pbVarintField (field, value) {
  return concat([uvarint(field * 8), uvarint(value)])
}

function pbDoubleField (field, value) {
  const b = new Uint8Array(9)
  b[0] = field * 8 + 1
  new DataView(b.buffer).setFloat64(1, value, true)
  return b
}

function pbPackedDoubles (field, values) {
  if (values.length === 0) return new Uint8Array(0)
  const b = new Uint8Array(values.length * 8)
  const view = new DataView(b.buffer)
  values.forEach((v, i) => view.setFloat64(i * 8, v, true))
  return pbField(field, b)
}

function pbPackedBools (field, values) {
  return values.length === 0 ? new Uint8Array(0) : pbField(field, Uint8Array.from(values, (v) => (v ? 1 : 0)))
}

function pbEntries (fields, field, wire) {
  const all = fields.get(field) ?? []
  for (const e of all) {
    if (!wire.includes(e.wire)) throw new Error(`field ${field} has wire type ${e.wire}`)
  }
  return all
}

function pbRepeatedBytes (fields, field) {
  return pbEntries(fields, field, [2]).map((e) => e.value)
}

function readDoubleLE (bytes, offset = 0) {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(offset, true)
}

function pbRepeatedDoubles (fields, field) {
  const out = []
  for (const e of pbEntries(fields, field, [1, 2])) {
    if (e.wire === 1) {
      out.push(readDoubleLE(e.value))
    } else {
      if (e.value.byteLength % 8 !== 0) throw new Error(`packed doubles of ${e.value.byteLength} bytes`)
      for (let i = 0; i < e.value.byteLength; i += 8) out.push(readDoubleLE(e.value, i))
    }
  }
  return out
}

function pbRepeatedVarints (fields, field) {
  const out = []
  for (const e of pbEntries(fields, field, [0, 2])) {
    if (e.wire === 0) {
      out.push(e.value)
    } else {
      let pos = 0
      while (pos < e.value.byteLength) {
        let value = 0
        let scale = 1
        for (let i = 0; ; i++) {
          if (i === 10) throw new Error('varint longer than 10 bytes')
          if (pos >= e.value.byteLength) throw new Error('truncated packed varint')
          const b = e.value[pos++]
          value += (b & 0x7f) * scale
          scale *= 0x80
          if ((b & 0x80) === 0) break
        }
        out.push(value)
      }
    }
  }
  return out
}

function pbLastVarint (fields, field) {
  const all = pbEntries(fields, field, [0])
  return all.length === 0 ? 0 : all[all.length - 1].value
}

/** NodeInfo{node_id(1)} inside field `field`, or null when the message has no such field. */
function pbNodeId (fields, field) {
  const info = pbBytes(fields, field)
  return info == null ? null : pbBytes(pbParse(info), 1) ?? new Uint8Array(0)
}

function encodeNodeInfo (field, nodeId) {
  return pbField(field, pbField(1, nodeId))
}

/**
 * DHTID.from_bytes (hivemind/dht/routing.py): a big-endian integer that must be below 2**160; returned as 20 bytes.
 */
function dhtIdFromBytes (raw) {
  const extra = raw.byteLength - DHT_ID_BYTES
  if (extra > 0 && raw.subarray(0, extra).some((b) => b !== 0)) {
    throw new PythonError(pyRepr('AssertionError', `DHTID must be in [0, 2**160) but got ${raw.byteLength} bytes 0x${toHex(raw)}`))
  }
  const id = new Uint8Array(DHT_ID_BYTES)
  id.set(extra > 0 ? raw.subarray(extra) : raw, Math.max(0, -extra))
  return id
}

function parseNodeId (hex, what) {
  const id = fromHex(hex, what)
  if (id.byteLength !== DHT_ID_BYTES) throw new Error(`"${what}" must be ${DHT_ID_BYTES} bytes (40 hex digits)`)
  return id
}

function xorDistance (a, b) {
  let d = 0n
  for (let i = 0; i < DHT_ID_BYTES; i++) d = (d << 8n) | BigInt(a[i] ^ b[i])
  return d
}

// --- msgpack: the few forms a DictionaryDHTValue needs (hivemind/utils/serializer.py, hivemind/dht/storage.py)

function mpArrayHeader (n) {
  if (n < 16) return Uint8Array.of(0x90 | n)
  if (n < 0x10000) return Uint8Array.of(0xdc, n >> 8, n & 0xff)
  return Uint8Array.of(0xdd, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
}

function mpFloat64 (x) {
  const b = new Uint8Array(9)
  b[0] = 0xcb
  new DataView(b.buffer).setFloat64(1, x, false)
  return b
}

function mpSized (n, codes) {
  if (n < 0x100) return Uint8Array.of(codes[0], n)
  if (n < 0x10000) return Uint8Array.of(codes[1], n >> 8, n & 0xff)
  return Uint8Array.of(codes[2], n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
}

function mpBin (bytes) {
  return concat([mpSized(bytes.byteLength, [0xc4, 0xc5, 0xc6]), bytes])
}

function mpExt (type, payload) {
  // msgpack picks fixext 1/2/4/8/16 when the payload has exactly that size, else ext 8/16/32.
  const fixed = { 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 }[payload.byteLength]
  const header = fixed != null ? Uint8Array.of(fixed) : mpSized(payload.byteLength, [0xc7, 0xc8, 0xc9])
  return concat([header, Uint8Array.of(type), payload])
}

/** Reads msgpack; every read checks the bounds, and nesting is limited, so malformed input only throws. */
class MsgpackReader {
  #buf
  #pos = 0

  constructor (buf) {
    this.#buf = buf
  }

  get done () {
    return this.#pos === this.#buf.byteLength
  }

  #take (n) {
    if (n > this.#buf.byteLength - this.#pos) throw new Error(`msgpack: ${n} bytes needed at offset ${this.#pos}, message ends first`)
    const out = this.#buf.subarray(this.#pos, this.#pos + n)
    this.#pos += n
    return out
  }

  #uint (n) {
    return this.#take(n).reduce((acc, b) => acc * 256 + b, 0)
  }

  #byte () {
    return this.#take(1)[0]
  }

  /** One whole object's bytes, as written. */
  raw () {
    const start = this.#pos
    this.#skip(0)
    return this.#buf.subarray(start, this.#pos)
  }

  #skip (depth) {
    if (depth > 32) throw new Error('msgpack: nested more than 32 levels')
    const b = this.#byte()
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) return
    if (b <= 0x8f) return this.#skipMany(2 * (b & 0x0f), depth)
    if (b <= 0x9f) return this.#skipMany(b & 0x0f, depth)
    if (b <= 0xbf) return void this.#take(b & 0x1f)
    switch (b) {
      case 0xc4: case 0xd9: return void this.#take(this.#uint(1))
      case 0xc5: case 0xda: return void this.#take(this.#uint(2))
      case 0xc6: case 0xdb: return void this.#take(this.#uint(4))
      case 0xc7: return void this.#take(1 + this.#uint(1))
      case 0xc8: return void this.#take(1 + this.#uint(2))
      case 0xc9: return void this.#take(1 + this.#uint(4))
      case 0xca: case 0xce: case 0xd2: return void this.#take(4)
      case 0xcb: case 0xcf: case 0xd3: return void this.#take(8)
      case 0xcc: case 0xd0: return void this.#take(1)
      case 0xcd: case 0xd1: return void this.#take(2)
      case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: return void this.#take(1 + (1 << (b - 0xd4)))
      case 0xdc: return this.#skipMany(this.#uint(2), depth)
      case 0xdd: return this.#skipMany(this.#uint(4), depth)
      case 0xde: return this.#skipMany(2 * this.#uint(2), depth)
      case 0xdf: return this.#skipMany(2 * this.#uint(4), depth)
      default: throw new Error(`msgpack: reserved type byte 0x${b.toString(16)}`)
    }
  }

  #skipMany (n, depth) {
    // Each object takes at least one byte, so a count past the end fails at the end, not after n iterations.
    for (let i = 0; i < n; i++) this.#skip(depth + 1)
  }

  arrayLength () {
    const b = this.#byte()
    if (b >= 0x90 && b <= 0x9f) return b & 0x0f
    if (b === 0xdc) return this.#uint(2)
    if (b === 0xdd) return this.#uint(4)
    throw new Error(`msgpack: expected an array, found type byte 0x${b.toString(16)}`)
  }

  bin () {
    const b = this.#byte()
    const sizes = { 0xc4: 1, 0xc5: 2, 0xc6: 4 }
    if (sizes[b] == null) throw new Error(`msgpack: expected bin, found type byte 0x${b.toString(16)}`)
    return this.#take(this.#uint(sizes[b]))
  }

  /** A float64/float32 or an integer, as a number. */
  number () {
    const b = this.#byte()
    if (b <= 0x7f) return b
    if (b >= 0xe0) return b - 0x100
    const raw = (n) => { const t = this.#take(n); return new DataView(t.buffer, t.byteOffset, n) }
    switch (b) {
      case 0xcb: return raw(8).getFloat64(0, false)
      case 0xca: return raw(4).getFloat32(0, false)
      case 0xcc: return this.#uint(1)
      case 0xcd: return this.#uint(2)
      case 0xce: return this.#uint(4)
      case 0xcf: return Number(raw(8).getBigUint64(0, false))
      case 0xd0: return raw(1).getInt8(0)
      case 0xd1: return raw(2).getInt16(0, false)
      case 0xd2: return raw(4).getInt32(0, false)
      case 0xd3: return Number(raw(8).getBigInt64(0, false))
      default: throw new Error(`msgpack: expected a number, found type byte 0x${b.toString(16)}`)
    }
  }

  ext () {
    const b = this.#byte()
    let length
    if (b >= 0xd4 && b <= 0xd8) length = 1 << (b - 0xd4)
    else if (b === 0xc7) length = this.#uint(1)
    else if (b === 0xc8) length = this.#uint(2)
    else if (b === 0xc9) length = this.#uint(4)
    else throw new Error(`msgpack: expected an ext, found type byte 0x${b.toString(16)}`)
    const type = this.#byte()
    return { type, payload: this.#take(length) }
  }
}

/** A subkey tag must be exactly one msgpack object (protocol.py deserializes it with MSGPackSerializer.loads). */
function checkSubkeyTag (tag) {
  const reader = new MsgpackReader(tag)
  try {
    reader.raw()
  } catch (err) {
    throw new PythonError(pyRepr('ValueError', `subkey is not msgpack: ${err.message}`))
  }
  if (!reader.done) throw new PythonError("ExtraData('unpack(b) received extra data.')")
}

/**
 * DictionaryDHTValue.unpackb of a whole dictionary (the b"" tag): Ext 0x50 of [maxsize, latest_expiration_time,
 * [[subkey, value, expiration_time], …]]. As hivemind reads it into a TimedStorage, a repeated subkey keeps its
 * latest entry and entries already expired are dropped (storage.py: unpackb, then items()).
 */
function unpackDictionary (bytes, now) {
  try {
    const outer = new MsgpackReader(bytes)
    const { type, payload } = outer.ext()
    if (!outer.done) throw new Error('bytes after the ext')
    if (type !== EXT_DICTIONARY) throw new Error(`ext type 0x${type.toString(16)}, expected 0x50`)
    const r = new MsgpackReader(payload)
    if (r.arrayLength() !== 3) throw new Error('expected [maxsize, latest_expiration_time, items]')
    r.raw()
    r.number()
    const count = r.arrayLength()
    const entries = new Map()
    for (let i = 0; i < count; i++) {
      if (r.arrayLength() !== 3) throw new Error(`item ${i} is not [subkey, value, expiration_time]`)
      const subkey = r.raw()
      const value = r.bin()
      const expiration = r.number()
      const tag = toHex(subkey)
      const previous = entries.get(tag)
      if (previous == null || previous.expiration < expiration) entries.set(tag, { subkey, value, expiration })
    }
    if (!r.done) throw new Error('bytes after the dictionary')
    return [...entries.values()].filter((e) => e.expiration >= now)
  } catch (err) {
    throw new PythonError(pyRepr('ValueError', `not a DictionaryDHTValue: ${err.message}`))
  }
}

/**
 * One tier (storage or cache) of hivemind's DHTLocalStorage: key (20-byte id, hex) → a regular value or a dictionary
 * of subkey entries, each with an expiration. A store never deletes; it only supersedes with a strictly later
 * expiration (timed_storage.py TimedStorage.store) and is refused when already expired.
 */
class DhtTier {
  records = new Map()
  bytes = 0

  get (key, now) {
    const record = this.records.get(key)
    if (record == null) return null
    if (record.expiration < now) {
      this.#remove(key, record)
      return null
    }
    if (record.entries != null) this.#pruneEntries(record, now)
    return record
  }

  /** TimedStorage.store of a regular value. */
  store (key, value, expiration, now) {
    if (expiration < now) return false
    const current = this.get(key, now)
    if (current != null && current.expiration >= expiration) return false
    if (!this.#fits(current, value.byteLength)) return false
    if (current != null) this.#remove(key, current)
    this.records.set(key, { value, expiration, size: value.byteLength })
    this.bytes += value.byteLength
    return true
  }

  /** DHTLocalStorage.store_subkey (storage.py): the three cases in its docstring. */
  storeSubkey (key, subkey, value, expiration, now) {
    const current = this.get(key, now)
    const size = subkey.byteLength + value.byteLength
    if (current == null || current.entries == null) {
      // No value, or a regular value with an earlier expiration: a new dictionary replaces it.
      if (current != null && current.expiration >= expiration) return false
      if (expiration < now || !this.#fits(current, size)) return false
      if (current != null) this.#remove(key, current)
      const entries = new Map([[toHex(subkey), { subkey, value, expiration }]])
      this.records.set(key, { entries, latest: expiration, expiration, size })
      this.bytes += size
      return true
    }
    // An existing dictionary: its expiration follows the latest entry; each subkey supersedes on its own.
    if (expiration > current.latest) {
      current.latest = expiration
      current.expiration = expiration
    }
    if (expiration < now) return false
    const tag = toHex(subkey)
    const previous = current.entries.get(tag)
    if (previous != null && previous.expiration >= expiration) return false
    if (previous == null && current.entries.size >= DHT_MAX_SUBKEYS) return false
    const delta = size - (previous != null ? previous.subkey.byteLength + previous.value.byteLength : 0)
    if (this.bytes + delta > DHT_MAX_STORED_BYTES) return false
    current.entries.set(tag, { subkey, value, expiration })
    current.size += delta
    this.bytes += delta
    return true
  }

  #fits (replaced, size) {
    if (replaced == null && this.records.size >= DHT_MAX_KEYS) return false
    return this.bytes - (replaced?.size ?? 0) + size <= DHT_MAX_STORED_BYTES
  }

  #remove (key, record) {
    this.records.delete(key)
    this.bytes -= record.size
  }

  #pruneEntries (record, now) {
    for (const [tag, e] of record.entries) {
      if (e.expiration < now) {
        record.entries.delete(tag)
        const size = e.subkey.byteLength + e.value.byteLength
        record.size -= size
        this.bytes -= size
      }
    }
  }
}

/** DictionaryDHTValue.packb, wrapped as MSGPackSerializer.dumps does: Ext 0x50 of [inf, latest, [[subkey, value, exp]…]]. */
function packDictionary (record) {
  const items = [...record.entries.values()].map((e) =>
    concat([mpArrayHeader(3), e.subkey, mpBin(e.value), mpFloat64(e.expiration)]))
  const payload = concat([mpArrayHeader(3), mpFloat64(Infinity), mpFloat64(record.latest), mpArrayHeader(items.length), ...items])
  return mpExt(EXT_DICTIONARY, payload)
}

class DhtStandIn {
  nodeId
  knownNodes = new Map()
  #node
  #storage = new DhtTier()
  #cache = new DhtTier()

  constructor (nodeId, node) {
    this.nodeId = nodeId
    this.#node = node
  }

  serve (stream, connection) {
    return serveUnary(stream, connection, {
      onRequest: (request, from, protocol) => emit({
        event: 'hivemindCall',
        from,
        handler: protocol,
        requestHex: toHex(request.data),
        callIdHex: toHex(request.callId),
        protoField: request.proto
      }),
      answer: async (request, connection, protocol) => {
        try {
          // The daemon routes by the stream's protocol; callUnary.proto is not consulted.
          return { response: await this.#dispatch(protocol, request.data, connection.remotePeer) }
        } catch (err) {
          // The Python handler's exception goes back as its repr (p2p_daemon_bindings/control.py).
          return { error: err instanceof PythonError ? err.repr : pyRepr(err.name ?? 'Exception', err.message ?? String(err)) }
        }
      }
    })
  }

  #dispatch (proto, data, caller) {
    let fields
    try {
      fields = pbParse(data)
    } catch (err) {
      throw new PythonError(pyRepr('DecodeError', `Error parsing message: ${err.message}`))
    }
    if (proto === DHT_PING) return this.#ping(fields, caller)
    if (proto === DHT_STORE) return this.#store(fields, caller)
    if (proto === DHT_FIND) return this.#find(fields, caller)
    throw new PythonError(pyRepr('KeyError', proto))
  }

  /** Remembers a node as the routing table would (node id → peer id); false when the table is full. */
  rememberNode (nodeId, peerIdBytes, peerIdString) {
    const key = toHex(nodeId)
    for (const [id, known] of this.knownNodes) {
      if (known.peerIdString === peerIdString && id !== key) this.knownNodes.delete(id)
    }
    if (!this.knownNodes.has(key) && this.knownNodes.size >= DHT_MAX_KNOWN_NODES) return false
    this.knownNodes.set(key, { nodeId, peerIdBytes, peerIdString })
    return true
  }

  #rememberCaller (nodeIdBytes, caller) {
    if (nodeIdBytes == null || nodeIdBytes.byteLength === 0) return
    let nodeId
    try {
      nodeId = dhtIdFromBytes(nodeIdBytes)
    } catch {
      return
    }
    this.rememberNode(nodeId, caller.toMultihash().bytes, caller.toString())
  }

  #checkKeyCount (keys) {
    if (keys.length > DHT_MAX_REQUEST_KEYS) throw new PythonError(pyRepr('ValueError', `more than ${DHT_MAX_REQUEST_KEYS} keys in one request`))
  }

  /** protocol.py rpc_ping: our node id and time; the caller's node id (when sent) joins the known nodes. */
  async #ping (fields, caller) {
    const senderBytes = pbNodeId(fields, 2)
    const validate = pbLastVarint(fields, 3) !== 0
    let available = false
    if (senderBytes != null && senderBytes.byteLength > 0) {
      const sender = dhtIdFromBytes(senderBytes)
      if (validate) available = await this.#pingBack(caller, sender)
      // update_routing_table(..., responded=available or not validate)
      if (available || !validate) this.rememberNode(sender, caller.toMultihash().bytes, caller.toString())
      else this.knownNodes.delete(toHex(sender))
    }
    return concat([
      encodeNodeInfo(2, this.nodeId),
      pbDoubleField(4, Date.now() / 1000),
      available ? pbVarintField(5, 1) : new Uint8Array(0)
    ])
  }

  /** call_ping(sender, validate=False) == sender_id, over the caller's connection, within wait_timeout. */
  async #pingBack (caller, sender) {
    try {
      const request = encodeNodeInfo(2, this.nodeId)
      const reply = await callUnary(this.#node, { peerId: caller.toString() }, DHT_PING, request, null, AbortSignal.timeout(DHT_VALIDATE_TIMEOUT_MS))
      if (reply.result !== 'response') return false
      const nodeId = pbNodeId(pbParse(fromHex(reply.responseHex, 'response')), 2)
      return nodeId != null && nodeId.byteLength > 0 && toHex(dhtIdFromBytes(nodeId)) === toHex(sender)
    } catch (err) {
      logErr('validate ping-back failed:', errorText(err))
      return false
    }
  }

  /** protocol.py rpc_store. */
  #store (fields, caller) {
    const keys = pbRepeatedBytes(fields, 2)
    const subkeys = pbRepeatedBytes(fields, 3)
    const values = pbRepeatedBytes(fields, 4)
    const expirations = pbRepeatedDoubles(fields, 5)
    const inCache = pbRepeatedVarints(fields, 6)
    this.#rememberCaller(pbNodeId(fields, 7), caller)
    // `assert len(keys) == len(values) == len(expiration_time) == len(in_cache)`, with no message.
    if (!(keys.length === values.length && values.length === expirations.length && expirations.length === inCache.length)) {
      throw new PythonError('AssertionError()')
    }
    this.#checkKeyCount(keys)
    // zip() over all five lists: a shorter `subkeys` silently drops the tail (kwaainet-upstream.md §4.1).
    const count = Math.min(keys.length, subkeys.length)
    const now = Date.now() / 1000
    const storeOk = []
    for (let i = 0; i < count; i++) {
      const key = toHex(dhtIdFromBytes(keys[i]))
      const tier = inCache[i] !== 0 ? this.#cache : this.#storage
      const tag = subkeys[i]
      if (tag.byteLength === 0) {
        // A whole dictionary: store_ok = all(store_subkey(...)), which stops at the first refusal.
        storeOk.push(unpackDictionary(values[i], now).every((e) => tier.storeSubkey(key, e.subkey, e.value, e.expiration, now)))
      } else if (tag.byteLength === 1 && tag[0] === TAG_REGULAR) {
        storeOk.push(tier.store(key, values[i], expirations[i], now))
      } else {
        checkSubkeyTag(tag)
        storeOk.push(tier.storeSubkey(key, tag, values[i], expirations[i], now))
      }
    }
    return concat([pbPackedBools(2, storeOk), encodeNodeInfo(3, this.nodeId)])
  }

  /** protocol.py rpc_find: per key the newer of storage and cache, and the nearest known nodes. */
  #find (fields, caller) {
    const keys = pbRepeatedBytes(fields, 2)
    this.#checkKeyCount(keys)
    const requester = pbNodeId(fields, 3)
    // exclude=DHTID.from_bytes(request.peer.node_id): an absent id reads as 0.
    let exclude = new Uint8Array(DHT_ID_BYTES)
    try {
      if (requester != null) exclude = dhtIdFromBytes(requester)
    } catch {
      // An id that is not a DHTID excludes nothing here; hivemind would fail the call.
    }
    const excludeHex = toHex(exclude)
    const now = Date.now() / 1000
    const results = keys.map((raw) => {
      const id = dhtIdFromBytes(raw)
      const key = toHex(id)
      let item = this.#storage.get(key, now)
      const cached = this.#cache.get(key, now)
      if (cached != null && (item == null || cached.expiration > item.expiration)) item = cached
      const parts = []
      if (item != null && item.entries != null) {
        parts.push(pbVarintField(1, FIND_TYPES.FOUND_DICTIONARY), pbField(2, packDictionary(item)), pbDoubleField(3, item.expiration))
      } else if (item != null) {
        parts.push(pbVarintField(1, FIND_TYPES.FOUND_REGULAR))
        if (item.value.byteLength > 0) parts.push(pbField(2, item.value))
        if (item.expiration !== 0) parts.push(pbDoubleField(3, item.expiration))
      }
      const nearest = [...this.knownNodes.entries()]
        .filter(([hex]) => hex !== excludeHex)
        .map(([, n]) => ({ n, d: xorDistance(n.nodeId, id) }))
        .sort((a, b) => (a.d < b.d ? -1 : a.d > b.d ? 1 : 0))
        .slice(0, DHT_BUCKET_SIZE)
        .map(({ n }) => n)
      for (const n of nearest) parts.push(pbField(4, n.nodeId))
      for (const n of nearest) parts.push(pbField(5, n.peerIdBytes))
      return pbField(2, concat(parts))
    })
    // Like the asyncio.create_task(rpc_ping(...)) that runs after the handler: the caller is remembered afterwards.
    this.#rememberCaller(requester, caller)
    return concat([...results, encodeNodeInfo(3, this.nodeId)])
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Commands

function target (args) {
  if (typeof args.addr === 'string') return multiaddr(args.addr)
  if (typeof args.peerId === 'string') return peerIdFromString(args.peerId)
  throw new Error('give "addr" (a multiaddr) or "peerId"')
}

function requirePeerId (args) {
  if (typeof args.peerId !== 'string') throw new Error('"peerId" is required')
  return peerIdFromString(args.peerId)
}

function positiveInt (value, name, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}) {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`"${name}" must be an integer in [${min}, ${max}]`)
  }
  return value
}

async function openStream (node, args, protocol, signal) {
  const connection = await node.dial(target(args), { signal })
  const stream = await connection.newStream(protocol, { signal, maxOutboundStreams: MAX_STREAMS_PER_PROTOCOL })
  return { connection, stream }
}

function connectionInfo (connection) {
  return { peerId: connection.remotePeer.toString(), remoteAddr: connection.remoteAddr.toString() }
}

/**
 * One go-libp2p-daemon unary call as hivemind makes it (research §5.4): a new stream on `protocol`, one request
 * frame with a 16-byte callId (random unless given), the write side left open, one reply frame read back.
 * `expectPeer` (a peer id string), when given, must be the peer the dial reached.
 */
async function callUnary (node, args, protocol, data, callId, signal, expectPeer) {
  callId ??= crypto.getRandomValues(new Uint8Array(16))
  const { connection, stream } = await openStream(node, args, protocol, signal)
  const detach = abortOnSignal(stream, signal)
  try {
    if (expectPeer != null && connection.remotePeer.toString() !== expectPeer) {
      throw new Error(`dialled ${connection.remotePeer}, not ${expectPeer}`)
    }
    const reader = new StreamReader(stream)
    await send(stream, lengthPrefixed(encodeCallUnary(callId, connection.remotePeer.toMultihash().bytes, protocol, data)), signal)
    // The write side stays open until the reply: the daemon cancels the call on EOF (research §5.4 step 4).
    const frame = await reader.readFrame(UNARY_MAX_REPLY)
    if (frame == null) throw new EndOfStreamError('stream ended before the unary reply')
    const fields = pbParse(frame)
    const replyCallId = pbBytes(fields, 1)
    const response = pbBytes(fields, 4)
    if (response == null) throw new Error(`reply without unaryResponse (fields ${[...fields.keys()].join(',')})`)
    const responseFields = pbParse(response)
    const result = { callIdHex: replyCallId != null ? toHex(replyCallId) : null }
    const ok = pbBytes(responseFields, 1)
    const error = pbBytes(responseFields, 2)
    if (error != null) Object.assign(result, { result: 'error', errorText: utf8Decoder.decode(error) })
    else if (ok != null) Object.assign(result, { result: 'response', responseHex: toHex(ok) })
    else Object.assign(result, { result: 'none' })
    await closeQuietly(stream)
    return result
  } catch (err) {
    stream.abort(err)
    throw err
  } finally {
    detach()
  }
}

function makeCommands (node) {
  const dht = node.services.dht
  const handlerOptions = { maxInboundStreams: MAX_STREAMS_PER_PROTOCOL, maxOutboundStreams: MAX_STREAMS_PER_PROTOCOL }
  let dhtStandIn = null

  return {
    async dial (args, signal) {
      if (typeof args.addr !== 'string') throw new Error('"addr" is required')
      return connectionInfo(await node.dial(multiaddr(args.addr), { signal }))
    },

    async hangup (args, signal) {
      await node.hangUp(requirePeerId(args), { signal })
      return {}
    },

    async connections () {
      return { connections: node.getConnections().map(connectionInfo) }
    },

    async memory (args) {
      // With `node --expose-gc`, {"gc":true} collects first, so what remains is what is actually held.
      if (args.gc === true) globalThis.gc?.()
      const m = process.memoryUsage()
      return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers }
    },

    async ping (args, signal) {
      return { rttMs: await node.services.ping.ping(target(args), { signal }) }
    },

    async peerInfo (args, signal) {
      const peerId = requirePeerId(args)
      const want = args.waitForProtocol
      for (;;) {
        let peer = null
        try {
          peer = await node.peerStore.get(peerId)
        } catch (err) {
          if (err.name !== 'NotFoundError') throw err
        }
        const identified = peer?.metadata.has('AgentVersion') === true
        const done = peer != null && (want != null ? peer.protocols.includes(want) : identified)
        if (done || signal.aborted) {
          if (peer == null) throw new Error(`peer ${peerId} is not in the peer store`)
          if (!done && want != null) {
            throw new Error(`${peerId} does not list ${want} (has ${peer.protocols.join(' ') || 'no protocols'})`)
          }
          const meta = (key) => (peer.metadata.has(key) ? utf8Decoder.decode(peer.metadata.get(key)) : null)
          return {
            protocols: [...peer.protocols].sort(),
            addrs: peer.addresses.map((a) => a.multiaddr.toString()),
            agentVersion: meta('AgentVersion'),
            protocolVersion: meta('ProtocolVersion'),
            identified
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },

    async addPeer (args, signal) {
      const peerId = requirePeerId(args)
      if (!Array.isArray(args.addrs)) throw new Error('"addrs" must be an array of multiaddrs')
      await node.peerStore.merge(peerId, { multiaddrs: args.addrs.map((a) => multiaddr(a)) }, { signal })
      // kad only queries peers in its routing table, which otherwise fills from connections whose identify lists
      // the kad protocol.
      let inRoutingTable = false
      if (dht != null && args.routingTable !== false) {
        await dht.routingTable.add(peerId, { signal })
        inRoutingTable = (await dht.routingTable.find(peerId)) != null
      }
      return { inRoutingTable }
    },

    async findPeer (args, signal) {
      const peerId = requirePeerId(args)
      const found = await node.peerRouting.findPeer(peerId, { signal, useCache: args.useCache !== false })
      return { peerId: found.id.toString(), addrs: found.multiaddrs.map((a) => a.toString()) }
    },

    async closestPeers (args, signal) {
      if (dht == null) throw new Error('kad is off (--no-kad)')
      const key = fromHex(args.keyHex, 'keyHex')
      if (key.byteLength === 0) throw new Error('"keyHex" must not be empty')
      const peers = []
      for await (const event of dht.getClosestPeers(key, { signal })) {
        if (event.name === 'FINAL_PEER') peers.push(event.peer.id.toString())
      }
      return { peers }
    },

    async unary (args, signal) {
      if (typeof args.protocol !== 'string' || args.protocol === '') throw new Error('"protocol" is required')
      const data = fromHex(args.dataHex ?? '', 'dataHex')
      const callId = args.callIdHex != null ? fromHex(args.callIdHex, 'callIdHex') : null
      return callUnary(node, args, args.protocol, data, callId, signal)
    },

    async hivemindServe (args) {
      if (dhtStandIn == null) {
        dhtStandIn = new DhtStandIn(parseNodeId(args.nodeIdHex, 'nodeIdHex'), node)
        for (const handler of DHT_HANDLERS) {
          await node.handle(handler, (stream, connection) => dhtStandIn.serve(stream, connection), handlerOptions)
        }
      } else {
        dhtStandIn.nodeId = parseNodeId(args.nodeIdHex, 'nodeIdHex')
      }
      return { nodeIdHex: toHex(dhtStandIn.nodeId), handlers: DHT_HANDLERS }
    },

    async hivemindAddNode (args) {
      if (dhtStandIn == null) throw new Error('send hivemindServe first')
      const peerId = requirePeerId(args)
      const added = dhtStandIn.rememberNode(parseNodeId(args.nodeIdHex, 'nodeIdHex'), peerId.toMultihash().bytes, peerId.toString())
      return { added, knownNodes: dhtStandIn.knownNodes.size }
    },

    async hivemindCall (args, signal) {
      if (typeof args.handler !== 'string' || args.handler === '') throw new Error('"handler" is required')
      if (typeof args.peer !== 'string') throw new Error('"peer" (the target peer id) is required')
      const request = fromHex(args.requestHex ?? '', 'requestHex')
      const dialTarget = typeof args.addr === 'string' ? { addr: args.addr } : { peerId: args.peer }
      const callId = crypto.getRandomValues(new Uint8Array(16))
      const reply = await callUnary(node, dialTarget, args.handler, request, callId, signal, args.peer)
      if (reply.callIdHex !== toHex(callId)) throw new Error(`the reply is for callId ${reply.callIdHex}, not ${toHex(callId)}`)
      if (reply.result === 'response') return { responseHex: reply.responseHex, callIdHex: reply.callIdHex }
      if (reply.result === 'error') return { errorText: reply.errorText, callIdHex: reply.callIdHex }
      throw new Error('the unary reply has neither a response nor an error')
    },

    async rawStream (args, signal) {
      if (typeof args.protocol !== 'string' || args.protocol === '') throw new Error('"protocol" is required')
      const data = fromHex(args.dataHex ?? '', 'dataHex')
      const waitMs = positiveInt(args.waitMs ?? 2000, 'waitMs', { max: 600_000 })
      const { stream } = await openStream(node, args, args.protocol, signal)
      const detach = abortOnSignal(stream, signal)
      const reader = new StreamReader(stream)
      const received = []
      let total = 0
      let ended = 'timeout'
      try {
        if (data.byteLength > 0) await send(stream, data, signal)
        if (args.closeWrite === true) await stream.close({ signal })
        const deadline = new Promise((resolve) => {
          const timer = setTimeout(() => resolve('timeout'), waitMs)
          signal.addEventListener('abort', () => { clearTimeout(timer); resolve('timeout') }, { once: true })
        })
        for (;;) {
          const next = await Promise.race([reader.read().then((c) => c ?? 'eof', () => 'reset'), deadline])
          if (typeof next === 'string') {
            ended = next
            break
          }
          total += next.byteLength
          if (total > RAW_STREAM_MAX_BYTES) throw new Error(`more than ${RAW_STREAM_MAX_BYTES} bytes came back`)
          received.push(next)
        }
      } finally {
        detach()
        if (ended === 'eof') await closeQuietly(stream)
        else stream.abort(new Error('rawStream finished'))
      }
      return { dataHex: toHex(concat(received)), ended }
    },

    async echo (args, signal) {
      const streams = positiveInt(args.streams ?? 1, 'streams', { max: MAX_STREAMS_PER_PROTOCOL })
      const bytes = positiveInt(args.bytes, 'bytes', { min: 0 })
      const protocol = args.protocol ?? ECHO_PROTOCOL
      const connection = await node.dial(target(args), { signal })
      const started = performance.now()
      const inner = new AbortController()
      setMaxListeners(Infinity, inner.signal)
      const onAbort = () => inner.abort(signal.reason)
      signal.addEventListener('abort', onAbort, { once: true })
      try {
        // The first failure aborts the other streams so that the command answers promptly.
        await Promise.all(Array.from({ length: streams }, (_, i) =>
          echoOne(connection, protocol, i, bytes, inner.signal).catch((err) => {
            inner.abort(err)
            throw err
          })))
      } finally {
        signal.removeEventListener('abort', onAbort)
      }
      return { totalBytes: streams * bytes, seconds: (performance.now() - started) / 1000 }
    },

    async perf (args, signal) {
      const upload = positiveInt(args.upload ?? 0, 'upload', { min: 0 })
      const download = positiveInt(args.download ?? 0, 'download', { min: 0 })
      const { stream } = await openStream(node, args, PERF_PROTOCOL, signal)
      const detach = abortOnSignal(stream, signal)
      try {
        const reader = new StreamReader(stream)
        const started = performance.now()
        const header = new Uint8Array(8)
        new DataView(header.buffer).setBigUint64(0, BigInt(download), false)
        await send(stream, header, signal)
        const zeros = new Uint8Array(CHUNK)
        for (let left = upload; left > 0; left -= CHUNK) {
          await send(stream, left >= CHUNK ? zeros : zeros.subarray(0, left), signal)
        }
        await stream.close({ signal })
        const uploaded = performance.now()
        let received = 0
        for (;;) {
          const chunk = await reader.read()
          if (chunk == null) break
          received += chunk.byteLength
          if (received > download) throw new Error(`perf server sent more than the ${download} bytes asked for`)
        }
        if (received !== download) throw new Error(`perf server sent ${received} of ${download} bytes`)
        const done = performance.now()
        return {
          seconds: (done - started) / 1000,
          uploadSeconds: (uploaded - started) / 1000,
          downloadSeconds: (done - uploaded) / 1000
        }
      } catch (err) {
        stream.abort(err)
        throw err
      } finally {
        detach()
      }
    }
  }
}

async function echoOne (connection, protocol, index, bytes, signal) {
  const stream = await connection.newStream(protocol, { signal, maxOutboundStreams: MAX_STREAMS_PER_PROTOCOL })
  const detach = abortOnSignal(stream, signal)
  const reader = new StreamReader(stream)
  const fail = (message) => {
    const err = new Error(`stream ${index}: ${message}`)
    stream.abort(err)
    return err
  }
  try {
    const writing = (async () => {
      const pattern = new PatternBytes(index)
      for (let left = bytes; left > 0; left -= CHUNK) {
        const buf = new Uint8Array(Math.min(CHUNK, left))
        pattern.fill(buf)
        await send(stream, buf, signal)
      }
      await stream.close({ signal })
    })()
    const reading = (async () => {
      const pattern = new PatternBytes(index)
      const expected = new Uint8Array(CHUNK)
      let offset = 0
      for (;;) {
        const chunk = await reader.read(CHUNK)
        if (chunk == null) break
        if (offset + chunk.byteLength > bytes) throw fail(`received more than the ${bytes} bytes sent`)
        const want = expected.subarray(0, chunk.byteLength)
        pattern.fill(want)
        if (Buffer.compare(chunk, want) !== 0) {
          let i = 0
          while (chunk[i] === want[i]) i++
          throw fail(`mismatch at offset ${offset + i}`)
        }
        offset += chunk.byteLength
      }
      if (offset !== bytes) throw fail(`stream ended after ${offset} of ${bytes} bytes`)
    })()
    const results = await Promise.allSettled([writing, reading])
    const failed = results.find((r) => r.status === 'rejected')
    if (failed != null) {
      const reason = failed.reason
      throw reason?.message?.startsWith(`stream ${index}:`) ? reason : new Error(`stream ${index}: ${errorText(reason)}`)
    }
  } finally {
    detach()
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Startup

function parseArgs (argv) {
  const options = { seed: null, rsa: false, listen: [], kad: true }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`)
      return argv[++i]
    }
    if (arg === '--seed') {
      const seed = value()
      if (!/^[0-9a-fA-F]{64}$/.test(seed)) throw new Error('--seed takes 64 hex digits (32 bytes)')
      options.seed = seed
    } else if (arg === '--rsa') {
      options.rsa = true
    } else if (arg === '--listen') {
      options.listen.push(value())
    } else if (arg === '--no-kad') {
      options.kad = false
    } else {
      throw new Error(`unknown argument ${arg}`)
    }
  }
  if (options.seed != null && options.rsa) throw new Error('--seed and --rsa exclude each other')
  if (options.listen.length === 0) options.listen.push('/ip4/127.0.0.1/tcp/0')
  return options
}

async function main () {
  let options
  try {
    options = parseArgs(process.argv.slice(2))
  } catch (err) {
    logErr(errorText(err))
    process.exit(2)
  }

  const privateKey = options.rsa
    ? await generateKeyPair('RSA', 2048)
    : options.seed != null
      ? await generateKeyPairFromSeed('Ed25519', fromHex(options.seed, '--seed'))
      : await generateKeyPair('Ed25519')

  const services = { identify: identify(), identifyPush: identifyPush(), ping: ping() }
  if (options.kad) {
    // Server mode and the passthrough mapper: by default kad would stay a client and drop loopback addresses,
    // which are all the tests have (research §3.2).
    services.dht = kadDHT({ protocol: KAD_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper })
  }

  const node = await createLibp2p({
    privateKey,
    addresses: { listen: options.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services
  })

  const handlerOptions = { maxInboundStreams: MAX_STREAMS_PER_PROTOCOL, maxOutboundStreams: MAX_STREAMS_PER_PROTOCOL }
  await node.handle(ECHO_PROTOCOL, handleEcho, handlerOptions)
  await node.handle(PERF_PROTOCOL, handlePerf, handlerOptions)
  await node.handle(UNARY_TEST_PROTOCOL, handleUnary, handlerOptions)
  await node.start()

  node.addEventListener('connection:open', (evt) => {
    const c = evt.detail
    emit({ event: 'connectionOpen', direction: c.direction, ...connectionInfo(c) })
  })
  node.addEventListener('connection:close', (evt) => {
    emit({ event: 'connectionClose', ...connectionInfo(evt.detail) })
  })
  node.addEventListener('peer:identify', (evt) => {
    const r = evt.detail
    emit({ event: 'identified', peerId: r.peerId.toString(), protocols: r.protocols, agentVersion: r.agentVersion ?? null })
  })

  emit({
    event: 'ready',
    peerId: node.peerId.toString(),
    addrs: node.getMultiaddrs().map((a) => a.toString()),
    protocols: node.getProtocols()
  })

  let stopping = false
  const shutdown = async (code) => {
    if (stopping) return
    stopping = true
    try {
      await Promise.race([node.stop(), new Promise((resolve) => setTimeout(resolve, 3000))])
    } catch (err) {
      logErr('stop failed:', errorText(err))
    }
    process.exit(code)
  }

  const commands = makeCommands(node)
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
  lines.on('line', (line) => {
    if (line.trim() === '') return
    let request
    try {
      request = JSON.parse(line)
    } catch (err) {
      emit({ id: null, ok: false, error: `not JSON: ${errorText(err)}` })
      return
    }
    const id = request?.id ?? null
    const name = request?.cmd
    if (name === 'stop') {
      emit({ id, ok: true })
      void shutdown(0)
      return
    }
    const command = typeof name === 'string' && Object.hasOwn(commands, name) ? commands[name] : null
    if (command == null) {
      emit({ id, ok: false, error: `unknown command ${JSON.stringify(name)}` })
      return
    }
    const timeoutMs = positiveIntOr(request.timeoutMs, 30_000)
    const signal = AbortSignal.timeout(timeoutMs)
    // Every stream of an echo command listens on this signal.
    setMaxListeners(Infinity, signal)
    Promise.resolve()
      .then(() => command(request, signal))
      .then(
        (result) => emit({ id, ok: true, ...result }),
        (err) => emit({ id, ok: false, error: signal.aborted ? `timed out after ${timeoutMs} ms (${errorText(err)})` : errorText(err) }))
  })
  lines.on('close', () => { void shutdown(0) })
}

function positiveIntOr (value, fallback) {
  return Number.isSafeInteger(value) && value > 0 ? value : fallback
}

// A test peer must answer, not die: log what escapes and keep serving.
process.on('unhandledRejection', (err) => logErr('unhandled rejection:', errorText(err)))
process.on('uncaughtException', (err) => logErr('uncaught exception:', errorText(err), err?.stack ?? ''))

main().catch((err) => {
  logErr('startup failed:', errorText(err), err?.stack ?? '')
  process.exit(1)
})
