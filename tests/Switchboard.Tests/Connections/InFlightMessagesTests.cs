using Switchboard.Connections;

namespace Switchboard.Tests.Connections;

/// <summary>
/// One connection's running messages, used as the connection handler uses it: the read loop enters before it
/// dispatches each message (one waiter at a time), each message exits when its integration is done, and
/// <c>$disconnect</c> waits for them all after the read loop ended.
/// </summary>
[Collection(RaceTests.Name)]
public sealed class InFlightMessagesTests
{
    private static readonly TimeSpan Bound = ConnectionTestBed.Bound;

    [Fact]
    public async Task EnterAsync_UpToTheLimit_CompletesAtOnce_ThenEachNextMessageWaitsForOneExit()
    {
        var inFlight = new InFlightMessages(limit: 3);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(inFlight.EnterAsync(CancellationToken.None).AsTask().IsCompletedSuccessfully, $"message {i} is within the limit");
        }

        for (var message = 3; message < 10; message++)
        {
            var entering = inFlight.EnterAsync(CancellationToken.None).AsTask();
            Assert.False(entering.IsCompleted, $"message {message} is over the limit");
            inFlight.Exit();
            await entering.WaitAsync(Bound);
        }

        var overTheLimit = inFlight.EnterAsync(CancellationToken.None).AsTask();
        Assert.False(overTheLimit.IsCompleted, "still three running");
        inFlight.Exit();
        await overTheLimit.WaitAsync(Bound);
    }

    [Fact]
    public async Task AReadLoopOfManyMessages_NeverRunsMoreThanTheLimit_AndWaitIdleAsyncWaitsForTheLastOne()
    {
        const int Limit = 4;
        const int Messages = 5_000;
        var inFlight = new InFlightMessages(Limit);
        var running = 0;
        var mostRunning = 0;
        var finished = 0;
        var random = new Random(10);

        for (var message = 0; message < Messages; message++)
        {
            await inFlight.EnterAsync(CancellationToken.None).AsTask().WaitAsync(Bound);
            var pause = random.Next(100);
            _ = Task.Run(async () =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref mostRunning, now);
                if (pause < 10)
                {
                    await Task.Yield();
                }
                else
                {
                    Thread.SpinWait(pause);
                }

                Interlocked.Decrement(ref running);
                Interlocked.Increment(ref finished);
                inFlight.Exit();
            });
        }

        await inFlight.WaitIdleAsync(CancellationToken.None).WaitAsync(Bound);

        Assert.Equal(Messages, Volatile.Read(ref finished));
        Assert.InRange(mostRunning, 1, Limit);
    }

    [Fact]
    public async Task EnterAsync_RacingAnExit_NeverMissesTheFreedSlot()
    {
        var inFlight = new InFlightMessages(limit: 1);
        await RaceExitAsync(inFlight, waiter: () => inFlight.EnterAsync(CancellationToken.None).AsTask(), waiterTakesTheSlot: true, "the reader to enter the freed slot");
    }

    [Fact]
    public void WaitIdleAsync_WithNothingInFlight_CompletesAtOnce() =>
        Assert.True(new InFlightMessages(limit: 1).WaitIdleAsync(CancellationToken.None).IsCompletedSuccessfully);

    [Fact]
    public async Task WaitIdleAsync_CompletesOnlyWhenTheLastRunningMessageExits()
    {
        var inFlight = new InFlightMessages(limit: 4);
        await inFlight.EnterAsync(CancellationToken.None);
        await inFlight.EnterAsync(CancellationToken.None);

        var idle = inFlight.WaitIdleAsync(CancellationToken.None);
        inFlight.Exit();
        Assert.False(idle.IsCompleted, "one message still runs");
        inFlight.Exit();
        await idle.WaitAsync(Bound);
    }

    [Fact]
    public async Task WaitIdleAsync_RacingTheLastExit_NeverMissesIt()
    {
        var inFlight = new InFlightMessages(limit: 1);
        await RaceExitAsync(inFlight, waiter: () => inFlight.WaitIdleAsync(CancellationToken.None), waiterTakesTheSlot: false, "the disconnect to see the last message exit");
    }

    [Fact]
    public async Task AReaderCancelledWhileWaiting_TakesNoSlot_AndTheDisconnectStillWaitsForTheRunningMessage()
    {
        var inFlight = new InFlightMessages(limit: 1);
        await inFlight.EnterAsync(CancellationToken.None);
        using var readAborted = new CancellationTokenSource();

        var entering = inFlight.EnterAsync(readAborted.Token).AsTask();
        await readAborted.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => entering.WaitAsync(Bound));

        var idle = inFlight.WaitIdleAsync(CancellationToken.None);
        Assert.False(idle.IsCompleted, "the message entered before the cancellation still runs");
        inFlight.Exit();
        await idle.WaitAsync(Bound);
        Assert.True(inFlight.EnterAsync(CancellationToken.None).AsTask().IsCompletedSuccessfully, "the cancelled wait took no slot");
    }

    /// <summary>
    /// Round after round, with one message in flight: one thread calls <paramref name="waiter"/>, which finds no free
    /// slot, while another exits that message, a little later each round, so that over the rounds the exit lands
    /// before, during and after the waiter publishes its signal and re-checks the count (a window of nanoseconds).
    /// A missed exit leaves the waiter waiting for good.
    /// </summary>
    /// <param name="waiterTakesTheSlot">True when the waiter enters, so its message is the one in flight next round.</param>
    private static async Task RaceExitAsync(InFlightMessages inFlight, Func<Task> waiter, bool waiterTakesTheSlot, string what)
    {
        const int Rounds = 5_000;
        var started = -1;
        var exits = Races.OnOwnThread(() =>
        {
            for (var round = 0; round < Rounds; round++)
            {
                var thisRound = round;
                Races.SpinUntil(() => Volatile.Read(ref started) == thisRound);
                inFlight.Exit();
            }
        });
        var waits = Races.OnOwnThread(() =>
        {
            for (var round = 0; round < Rounds; round++)
            {
                if (round == 0 || !waiterTakesTheSlot)
                {
                    Assert.True(inFlight.EnterAsync(CancellationToken.None).AsTask().IsCompletedSuccessfully, "the slot is free");
                }

                Volatile.Write(ref started, round);
                Thread.SpinWait(round % 32);
                Assert.True(waiter().Wait(Bound), $"round {round}: timed out waiting for {what}");
            }
        });

        await Task.WhenAll(exits, waits).WaitAsync(Bound * 2);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var current = Volatile.Read(ref target); value > current; current = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, current) == current)
            {
                return;
            }
        }
    }
}
