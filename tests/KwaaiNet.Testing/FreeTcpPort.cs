// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;
using System.Net.Sockets;

namespace KwaaiNet.Testing;

/// <summary>
/// A loopback TCP port that the OS handed out a moment ago and that nothing listens on now: for a server that needs a
/// known port before it starts (redis-server, a named Kestrel endpoint), or for an address where nothing answers.
/// </summary>
public static class FreeTcpPort
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
