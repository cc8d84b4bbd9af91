// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Hosting;
using KwaaiNet.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMapAnnouncer();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapMapAnnouncer();
app.Run();
