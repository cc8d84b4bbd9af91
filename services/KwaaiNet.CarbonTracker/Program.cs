// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Carbon.Hosting;
using KwaaiNet.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddCarbonTracker();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapCarbonTracker();
app.Run();
