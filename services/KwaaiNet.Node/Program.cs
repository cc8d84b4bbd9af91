// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Carbon.Hosting;
using KwaaiNet.Hivemind.Hosting;
using KwaaiNet.Inference.Hosting;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Petals.Hosting;
using KwaaiNet.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddP2PGateway();
builder.AddDht();
builder.AddInferenceWorker();
builder.AddPetalsServer();
builder.AddNetworkTextGeneration();
builder.AddMapAnnouncer();
builder.AddCarbonTracker();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapP2PGateway();
app.MapDht();
app.MapInferenceWorker();
app.MapPetalsServer();
app.MapMapAnnouncer();
app.MapCarbonTracker();
app.Run();
