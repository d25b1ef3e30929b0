using UnitScope.Engine.Datasets.Probe;
using static UnitScope.Engine.Datasets.Probe.ProbeVocabulary;

namespace UnitScope.Engine.Tests.Datasets;

/// <summary>The probe renderer on hand-built scenes whose answers are computed here from the geometry.</summary>
public class ProbeRenderingTests
{
    const int Size = 50;

    static Paint Red_ => new(Red, 200, 30, 30);
    static Paint Blue_ => new(Blue, 40, 80, 200);
    static Paint Grey_ => new(Grey, 130, 130, 130);
    static Paint Brown_ => new(ProbeVocabulary.Brown, 120, 70, 30);
    static Paint Green_ => new(Green, 50, 150, 50);

    static (byte[] Rgb, LabelMaps Labels) Render(ProbeScene scene)
    {
        var rgb = new byte[Size * Size * 3];
        var labels = new LabelMaps(Size);
        ProbeRenderer.Render(scene, Size, 1, rgb, labels);
        return (rgb, labels);
    }

    static IEnumerable<(int I, double X, double Y)> Pixels() =>
        from py in Enumerable.Range(0, Size)
        from px in Enumerable.Range(0, Size)
        select (py * Size + px, (px + 0.5) / Size, (py + 0.5) / Size);

    static bool InCircle(double x, double y, double cx, double cy, double r) => (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r;

    [Fact]
    public void Occluded_object_is_not_labelled_where_a_nearer_one_covers_it()
    {
        var scene = new ProbeScene(Playroom);
        scene.Add(new SceneObject(Floor, -10).Add(new RectShape(0, 0, 1, 1), new SolidFill(Grey_)));
        // Added nearest first: painting order comes from depth, not insertion.
        scene.Add(new SceneObject(Box, 2).Add(new RectShape(0.5, 0.3, 0.9, 0.7), new SolidFill(Red_)));
        scene.Add(new SceneObject(Ball, 1).Add(EllipseShape.Circle(0.4, 0.5, 0.3), new SolidFill(Blue_)));
        var (rgb, labels) = Render(scene);

        int ballPixels = 0;
        foreach (var (i, x, y) in Pixels())
        {
            bool box = x >= 0.5 && x < 0.9 && y >= 0.3 && y < 0.7;
            bool ball = !box && InCircle(x, y, 0.4, 0.5, 0.3);
            int expected = box ? Box : ball ? Ball : Floor;
            labels.Object[i].Should().Be(expected, "pixel ({0},{1})", x, y);
            labels.Color[i].Should().Be(box ? Red : ball ? Blue : Grey);
            ProbePalette.Classify(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]).Should().Be(labels.Color[i]);
            if (ball) ballPixels++;
        }
        ballPixels.Should().BeGreaterThan(100).And.BeLessThan((int)(Math.PI * 0.09 * Size * Size));
    }

    [Fact]
    public void Hidden_parts_are_not_labelled_and_later_pieces_cover_earlier_ones()
    {
        var scene = new ProbeScene(Garden);
        scene.Add(new SceneObject(0, -10).Add(new RectShape(0, 0, 1, 1), new SolidFill(Grey_)));
        var tree = new SceneObject(Tree, 0.9);
        tree.Add(new RectShape(0.45, 0.4, 0.55, 0.9), new SolidFill(Brown_), Trunk);
        tree.Add(EllipseShape.Circle(0.5, 0.35, 0.2), new SolidFill(Green_), Crown); // covers the trunk's top
        scene.Add(tree);
        scene.Add(new SceneObject(Ball, 0.95).Add(EllipseShape.Circle(0.5, 0.8, 0.12), new SolidFill(Red_))); // hides the trunk's foot
        var (_, labels) = Render(scene);

        foreach (var (i, x, y) in Pixels())
        {
            bool ball = InCircle(x, y, 0.5, 0.8, 0.12);
            bool crown = !ball && InCircle(x, y, 0.5, 0.35, 0.2);
            bool trunk = !ball && !crown && x >= 0.45 && x < 0.55 && y >= 0.4 && y < 0.9;
            labels.Part[i].Should().Be(crown ? Crown : trunk ? Trunk : 0, "pixel ({0},{1})", x, y);
            labels.Object[i].Should().Be(ball ? Ball : crown || trunk ? Tree : 0);
            labels.Color[i].Should().Be(ball ? Red : crown ? Green : trunk ? ProbeVocabulary.Brown : Grey);
        }
    }

    [Fact]
    public void Texture_and_material_fills_label_their_region_and_each_paint_by_its_colour()
    {
        var scene = new ProbeScene(Playroom);
        scene.Add(new SceneObject(0, -10).Add(new RectShape(0, 0, 1, 0.5),
            new TextureFill(Striped, Red_, Blue_, 0.2, 0, 0, 0, 1.0 / Size, 0)));
        scene.Add(new SceneObject(Floor, -9).Add(new RectShape(0, 0.5, 1, 1),
            new BrickFill(Red_, new Paint(White, 235, 235, 235), 0.1, 0, 0.5, 1.0 / Size, 3)));
        var (rgb, labels) = Render(scene);
        foreach (var (i, x, y) in Pixels())
        {
            if (y < 0.5)
            {
                labels.Texture[i].Should().Be(Striped);
                labels.Material[i].Should().Be(0);
                labels.Color[i].Should().Be(Math.Floor(x / 0.1) % 2 == 0 ? Red : Blue, "stripes are 0.1 wide, red first at x = {0}", x);
            }
            else
            {
                labels.Material[i].Should().Be(Brick);
                labels.Texture[i].Should().Be(0);
                labels.Object[i].Should().Be(Floor);
            }
            ProbePalette.Classify(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]).Should().Be(labels.Color[i]);
        }
        Enumerable.Range(Size * Size / 2, Size * Size / 2).Select(i => labels.Color[i]).Distinct().Should().BeEquivalentTo([Red, White]);
    }
}
