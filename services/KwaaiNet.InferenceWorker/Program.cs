// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Hosting;
using KwaaiNet.Petals.Hosting;
using KwaaiNet.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddInferenceWorker();
builder.AddPetalsServer();
builder.AddNetworkTextGeneration();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapInferenceWorker();
app.MapPetalsServer();
app.Run();
