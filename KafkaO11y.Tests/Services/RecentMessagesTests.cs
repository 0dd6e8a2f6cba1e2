using KafkaO11y.Consumer;

namespace KafkaO11y.Tests.Services;

/// <summary>The Consumer's memory of recently processed message ids: per partition, bounded, oldest forgotten first.</summary>
public sealed class RecentMessagesTests
{
    [Fact]
    public void A_processed_id_is_recognised_in_its_partition_with_the_offset_it_was_processed_at()
    {
        var recent = new RecentMessages(capacity: 10);
        var id = Guid.NewGuid();
        recent.Processed("messages", 1, id, offset: 42);

        Assert.True(recent.TryGetProcessed("messages", 1, id, out var offset));
        Assert.Equal(42, offset);
        Assert.False(recent.TryGetProcessed("messages", 2, id, out _));
        Assert.False(recent.TryGetProcessed("other", 1, id, out _));
        Assert.False(recent.TryGetProcessed("messages", 1, Guid.NewGuid(), out _));
    }

    [Fact]
    public void Each_partition_keeps_its_last_ids_up_to_the_capacity_and_forgets_the_oldest_first()
    {
        var recent = new RecentMessages(capacity: 3);
        var ids = Enumerable.Range(0, 5).Select(_ => Guid.NewGuid()).ToList();
        for (var i = 0; i < ids.Count; i++)
        {
            recent.Processed("messages", 0, ids[i], i);
            recent.Processed("messages", 1, ids[i], i);
        }

        Assert.Equal(6, recent.Count);
        Assert.False(recent.TryGetProcessed("messages", 0, ids[0], out _));
        Assert.False(recent.TryGetProcessed("messages", 0, ids[1], out _));
        Assert.All(ids.Skip(2), id => Assert.True(recent.TryGetProcessed("messages", 0, id, out _)));
    }

    [Fact]
    public void An_id_processed_again_keeps_its_first_offset_and_one_place_in_the_window()
    {
        var recent = new RecentMessages(capacity: 2);
        var id = Guid.NewGuid();
        recent.Processed("messages", 0, id, 5);
        recent.Processed("messages", 0, id, 9);

        Assert.Equal(1, recent.Count);
        Assert.True(recent.TryGetProcessed("messages", 0, id, out var offset));
        Assert.Equal(5, offset);
    }

    [Fact]
    public void A_window_of_no_ids_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RecentMessages(0));
}
