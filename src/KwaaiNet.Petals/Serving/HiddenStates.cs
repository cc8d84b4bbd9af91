// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Protos;

namespace KwaaiNet.Petals.Serving;

/// <summary>A request's hidden states as float32, with the shape and compression they came in.</summary>
/// <param name="Values">The values, <c>[batch, tokens, hidden]</c> row-major.</param>
/// <param name="Batch">The batch size.</param>
/// <param name="Tokens">The tokens per sequence.</param>
/// <param name="Compression">The request tensor's compression, which the response uses when this server writes it.</param>
internal sealed record HiddenStates(float[] Values, int Batch, int Tokens, CompressionType Compression);
