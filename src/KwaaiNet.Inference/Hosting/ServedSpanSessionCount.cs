// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Scaling;
using KwaaiNet.Inference.Serving;

namespace KwaaiNet.Inference.Hosting;

/// <summary>The open sessions of the span served now (none while it loads).</summary>
internal sealed class ServedSpanSessionCount(IServedSpanProvider served) : IWorkerSessionCount
{
    public int OpenSessions => served.Current?.Sessions.OpenSessionCount ?? 0;
}
