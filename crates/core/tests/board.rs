//! The board merge: concurrent changes converge whatever order they arrive in, one person's
//! move never undoes another's recolour, a delete stays until an explicit restore, and old
//! records (moves, erases) keep their meaning.

use confab_core::board::{Board, Content, Stamp};
use confab_core::{
    AuthorKey, Body, ChangeBody, Color, EraseBody, Hlc, MoveBody, Prop, RecordId, Rect, ShapeBody, ShapeKind,
    StrokeBody,
};
use proptest::prelude::*;

fn stamp(n: u8, ms: u64, who: u8) -> Stamp {
    Stamp {
        id: RecordId([n; 32]),
        ts: Hlc::new(ms, 0),
        person: AuthorKey([who; 32]),
        device: AuthorKey([who; 32]),
    }
}

fn rect_shape() -> Body {
    Body::Shape(ShapeBody {
        kind: ShapeKind::Rect,
        pos: (10.0, 20.0),
        size: (100.0, 50.0),
        text: String::new(),
        color: Color([0, 0, 0]),
        fill: None,
        width: 2.0,
        font: 20.0,
    })
}

fn change(props: Vec<Prop>) -> Body {
    Body::Change(ChangeBody { props })
}

const OBJ: RecordId = RecordId([1; 32]);

#[test]
fn a_move_and_a_recolour_of_one_object_both_survive() {
    let mut b = Board::new();
    b.apply(stamp(1, 1000, 1), &[], &rect_shape());
    // A moves at 2000, B (offline, unaware) recolours at 1500: both kept.
    b.apply(stamp(2, 2000, 1), &[OBJ], &change(vec![Prop::Pos(300.0, 400.0)]));
    b.apply(
        stamp(3, 1500, 2),
        &[OBJ],
        &change(vec![Prop::Color(Color([255, 0, 0]))]),
    );
    let o = &b.objects()[0];
    assert_eq!(o.pos, (300.0, 400.0));
    assert_eq!(o.color, Color([255, 0, 0]));
    assert_eq!(o.updated, (Hlc::new(2000, 0), AuthorKey([1; 32])));
    assert_eq!(o.author, AuthorKey([1; 32]));
}

#[test]
fn a_delete_stays_through_a_later_move_until_restored() {
    let mut b = Board::new();
    b.apply(stamp(1, 1000, 1), &[], &rect_shape());
    b.apply(stamp(2, 2000, 1), &[OBJ], &change(vec![Prop::Deleted(true)]));
    b.apply(stamp(3, 3000, 2), &[OBJ], &change(vec![Prop::Pos(5.0, 5.0)]));
    assert!(
        b.objects().is_empty(),
        "a later move does not revive a deleted object"
    );
    let gone = b.get(&OBJ).unwrap();
    assert!(gone.deleted);
    assert_eq!(gone.pos, (5.0, 5.0));
    b.apply(stamp(4, 4000, 2), &[OBJ], &change(vec![Prop::Deleted(false)]));
    assert_eq!(b.objects().len(), 1);
    assert_eq!(b.objects()[0].pos, (5.0, 5.0));
}

#[test]
fn a_change_before_its_object_waits_for_it() {
    let mut b = Board::new();
    b.apply(stamp(2, 2000, 2), &[OBJ], &change(vec![Prop::Text("hi".into())]));
    assert!(b.objects().is_empty());
    b.apply(stamp(1, 1000, 1), &[], &rect_shape());
    assert_eq!(b.objects()[0].text, "hi");
}

#[test]
fn z_order_front_and_back() {
    let mut b = Board::new();
    b.apply(stamp(1, 1000, 1), &[], &rect_shape());
    b.apply(stamp(5, 1100, 1), &[], &rect_shape());
    assert_eq!(
        b.objects()[1].id,
        RecordId([5; 32]),
        "placement order among equals"
    );
    let (front, back) = b.z_extremes();
    assert_eq!((front, back), (1.0, -1.0));
    b.apply(stamp(6, 1200, 2), &[OBJ], &change(vec![Prop::Z(front)]));
    assert_eq!(b.objects()[1].id, OBJ);
    let (_, back) = b.z_extremes();
    b.apply(stamp(7, 1300, 2), &[OBJ], &change(vec![Prop::Z(back)]));
    assert_eq!(b.objects()[0].id, OBJ);
}

#[test]
fn old_moves_and_erases_keep_their_meaning_and_strokes_follow_their_box() {
    let mut b = Board::new();
    let stroke = Body::Stroke(StrokeBody {
        points: vec![(0.0, 0.0), (10.0, 20.0)],
        color: Color([1, 2, 3]),
        width: 3.0,
    });
    b.apply(stamp(1, 1000, 1), &[], &stroke);
    let o = &b.objects()[0];
    assert!(matches!(o.content, Content::Stroke { .. }));
    assert_eq!((o.pos, o.size), ((0.0, 0.0), (10.0, 20.0)));
    // Moved and doubled.
    b.apply(
        stamp(2, 2000, 2),
        &[OBJ],
        &change(vec![Prop::Pos(100.0, 100.0), Prop::Size(20.0, 40.0)]),
    );
    assert_eq!(b.objects()[0].points(), vec![(100.0, 100.0), (120.0, 140.0)]);
    // An erase from before changes existed deletes it; a restore brings it back.
    b.apply(stamp(3, 3000, 1), &[OBJ], &Body::Erase(EraseBody {}));
    assert!(b.objects().is_empty());
    b.apply(stamp(4, 4000, 1), &[OBJ], &change(vec![Prop::Deleted(false)]));
    assert_eq!(b.objects().len(), 1);
    // A picture's move sets its position and size.
    let pic = RecordId([9; 32]);
    let rect = Rect {
        x: 1.0,
        y: 2.0,
        w: 3.0,
        h: 4.0,
    };
    b.apply(stamp(10, 5000, 1), &[pic], &Body::Move(MoveBody { rect }));
    assert_eq!(b.get(&pic), None, "a move of a picture not yet here waits for it");
}

#[test]
fn a_box_resized_inside_out_is_the_same_box() {
    let mut b = Board::new();
    b.apply(stamp(1, 1000, 1), &[], &rect_shape());
    b.apply(stamp(2, 2000, 1), &[OBJ], &change(vec![Prop::Size(-40.0, 10.0)]));
    let o = &b.objects()[0];
    assert_eq!((o.pos, o.size), ((-30.0, 20.0), (40.0, 10.0)));
}

#[test]
fn changes_are_checked_by_name() {
    let twice = ChangeBody {
        props: vec![Prop::Pos(1.0, 1.0), Prop::Pos(2.0, 2.0)],
    };
    assert!(twice.check().unwrap_err().to_string().contains("position twice"));
    let none = ChangeBody { props: vec![] };
    assert!(none.check().unwrap_err().to_string().contains("changes nothing"));
    let far = ChangeBody {
        props: vec![Prop::Pos(f32::NAN, 1.0)],
    };
    assert!(far.check().unwrap_err().to_string().contains("position"));
    let font = ChangeBody {
        props: vec![Prop::Font(1000.0)],
    };
    assert!(font.check().unwrap_err().to_string().contains("font size"));
    let Body::Shape(mut flat) = rect_shape() else {
        unreachable!()
    };
    flat.size = (0.0, 10.0);
    assert!(flat.check().unwrap_err().to_string().contains("not above 0"));
    flat.kind = ShapeKind::Line;
    flat.check().expect("a vertical line has no width");
}

/// One record of a random edit history: placing one of three objects or changing one.
#[derive(Clone, Debug)]
enum Op {
    Place(u8),
    Change(u8, Prop),
    Erase(Vec<u8>),
}

fn prop() -> impl Strategy<Value = Prop> {
    let coord = -1000.0f32..1000.0;
    prop_oneof![
        (coord.clone(), coord.clone()).prop_map(|(x, y)| Prop::Pos(x, y)),
        (1.0f32..500.0, 1.0f32..500.0).prop_map(|(w, h)| Prop::Size(w, h)),
        "[a-z]{0,6}".prop_map(Prop::Text),
        any::<[u8; 3]>().prop_map(|c| Prop::Color(Color(c))),
        proptest::option::of(any::<[u8; 3]>()).prop_map(|c| Prop::Fill(c.map(Color))),
        (0.0f32..20.0).prop_map(Prop::Width),
        (-5.0f64..5.0).prop_map(Prop::Z),
        any::<bool>().prop_map(Prop::Deleted),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0u8..3).prop_map(Op::Place),
        4 => (0u8..3, prop()).prop_map(|(o, p)| Op::Change(o, p)),
        1 => proptest::collection::vec(0u8..3, 1..3).prop_map(Op::Erase),
    ]
}

/// The records of a history: each gets its own id; timestamps are drawn from a small range
/// so that equal timestamps (decided by id) happen often. Three authors.
fn history() -> impl Strategy<Value = Vec<(Stamp, Vec<RecordId>, Body)>> {
    proptest::collection::vec((op(), 0u64..20, 0u8..3), 1..40).prop_map(|ops| {
        ops.into_iter()
            .enumerate()
            .map(|(i, (op, ms, who))| {
                let obj = |o: u8| RecordId([200 + o; 32]);
                let st = stamp(i as u8, 1000 + ms, who);
                match op {
                    // One object is one record: the same stamp wherever it is placed again.
                    Op::Place(o) => (stamp(200 + o, 1000 + o as u64, o), vec![], rect_shape()),
                    Op::Change(o, p) => (st, vec![obj(o)], change(vec![p])),
                    Op::Erase(os) => (st, os.into_iter().map(obj).collect(), Body::Erase(EraseBody {})),
                }
            })
            .collect()
    })
}

fn board_of(records: &[(Stamp, Vec<RecordId>, Body)]) -> Vec<confab_core::Object> {
    let mut b = Board::new();
    for (s, refs, body) in records {
        b.apply(*s, refs, body);
    }
    b.all()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every order of delivery gives the same board (records delivered twice included).
    #[test]
    fn every_order_of_delivery_gives_the_same_board(
        (records, shuffled) in history().prop_flat_map(|h| (Just(h.clone()), Just(h).prop_shuffle())),
        dup in 0usize..40,
    ) {
        let expect = board_of(&records);
        let mut again = shuffled.clone();
        again.push(shuffled[dup % shuffled.len()].clone());
        prop_assert_eq!(board_of(&again), expect);
    }
}
