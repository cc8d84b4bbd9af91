// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors
//
// One js-libp2p node (TCP + Noise + Yamux, identify, ping, kad-dht) driven over stdin/stdout with JSON lines, as
// an independent peer for the KwaaiNet.Libp2p interop tests. Usage and the command list: README.md.
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

/** Emulates go-libp2p-daemon's persistentStreamHandler for a unary handler (research §5.4 steps 4-6). */
async function handleUnary (stream, connection) {
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
  emit({
    event: 'unary',
    from,
    protocol,
    callIdHex: toHex(request.callId),
    dataHex: toHex(request.data),
    protoField: request.proto,
    targetPeerId: peerIdText(request.peer),
    targetHex: toHex(request.peer)
  })
  // The daemon watches the stream (a 1-byte read) while the handler runs: EOF, data or a reset cancels the call
  // and no response is ever written.
  const watch = reader.read(1).then((b) => (b == null ? 'eof' : 'data'), () => 'reset')
  const outcome = await Promise.race([watch, new Promise((resolve) => setTimeout(() => resolve('reply'), UNARY_EOF_WATCH_MS))])
  if (outcome !== 'reply') {
    emit({ event: 'unaryEarlyEof', from, protocol, callIdHex: toHex(request.callId), reason: outcome })
    await closeQuietly(stream)
    return
  }
  const isFail = Buffer.from(request.data).toString('utf8') === 'fail' && request.data.byteLength === 4
  const result = isFail ? { error: "ValueError('fail')" } : { response: request.data }
  try {
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

function makeCommands (node) {
  const dht = node.services.dht

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
      const callId = args.callIdHex != null ? fromHex(args.callIdHex, 'callIdHex') : crypto.getRandomValues(new Uint8Array(16))
      const { connection, stream } = await openStream(node, args, args.protocol, signal)
      const detach = abortOnSignal(stream, signal)
      try {
        const reader = new StreamReader(stream)
        await send(stream, lengthPrefixed(encodeCallUnary(callId, connection.remotePeer.toMultihash().bytes, args.protocol, data)), signal)
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
