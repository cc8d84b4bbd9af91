// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Hosting;
using KwaaiNet.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddDht();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapDht();
app.Run();
