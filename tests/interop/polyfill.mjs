// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors
//
// libp2p 3.x calls Promise.withResolvers() (through it-queue, via mortice and the peer store), which Node
// gained in 22. Debian's and this machine's Node is 20, so peer.mjs is started with
// `node --import ./polyfill.mjs peer.mjs`. On Node 22+ this file does nothing.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    let resolve
    let reject
    const promise = new Promise((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}
