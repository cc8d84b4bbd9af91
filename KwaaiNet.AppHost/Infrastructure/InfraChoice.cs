// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.AppHost.Infrastructure;

/// <summary>The infrastructure mode in effect, and why it was chosen (logged at start).</summary>
internal sealed record InfraChoice(InfraMode Mode, string Reason);
