// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Hosting;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace KwaaiNet.Contracts.Tests.Hosting;

public sealed class MessageBusHostingExtensionsTests
{
    [Fact]
    public async Task AddMessageBus_TwoModulesRegisterConsumers_BothReceivePublishedMessages()
    {
        var ct = TestContext.Current.CancellationToken;
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<Received>();

        // Two modules, as the embedded node composes them: each adds its own consumer to the one bus.
        builder.AddMessageBus(static bus => bus.AddConsumer<FirstConsumer>());
        builder.AddMessageBus(static bus => bus.AddConsumer<SecondConsumer>());
        builder.AddMessageBus();

        using var host = builder.Build();
        await host.StartAsync(ct);
        try
        {
            await host.Services.GetRequiredService<IBus>().Publish(new Ping("hello"), ct);
            var received = host.Services.GetRequiredService<Received>();
            await received.BothAsync.WaitAsync(TimeSpan.FromSeconds(30), ct);

            Assert.Equal(["first:hello", "second:hello"], received.Messages.Order(StringComparer.Ordinal));
        }
        finally
        {
            await host.StopAsync(ct);
        }
    }

    public sealed record Ping(string Text);

    public sealed class Received
    {
        private readonly TaskCompletionSource _both = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<string> _messages = [];

        public Task BothAsync => _both.Task;

        public IReadOnlyList<string> Messages
        {
            get
            {
                lock (_messages)
                {
                    return [.. _messages];
                }
            }
        }

        public void Add(string message)
        {
            lock (_messages)
            {
                _messages.Add(message);
                if (_messages.Count == 2)
                {
                    _both.TrySetResult();
                }
            }
        }
    }

    public sealed class FirstConsumer(Received received) : IConsumer<Ping>
    {
        public Task Consume(ConsumeContext<Ping> context)
        {
            received.Add("first:" + context.Message.Text);
            return Task.CompletedTask;
        }
    }

    public sealed class SecondConsumer(Received received) : IConsumer<Ping>
    {
        public Task Consume(ConsumeContext<Ping> context)
        {
            received.Add("second:" + context.Message.Text);
            return Task.CompletedTask;
        }
    }
}
