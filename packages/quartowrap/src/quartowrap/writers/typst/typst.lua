--[[
typst.lua -- map the assembled book's conventions onto the KCE typst template.

Runs only when writing typst (after crossref.lua / callouts.lua / citeproc ran on the
book).  It turns the writer-neutral markers into calls of functions defined in
templates/typst/kce.typ:

* headings with a `number` attribute get `#kce-num("3.1")` before their text;
* tables/figures with `xref-label` get "Table N – " / "Figure N – " before the caption;
* every table gets a first header row for "Table N (continued)" (`#kce-continued`), shown
  only where a numbered table goes on in another column or page;
* images get a column-wide width (unless one is given) and their `fig-alt` as typst `alt`;
* callout Divs become `#kce-callout(kind: ..., title: [...])[...]`;
* `.column-page` / `.wide` Divs (and `.wide` tables/figures) span both columns;
* a paragraph starting "Source:" / "Note:" right after a table, or a `.table-notes`
  Div, is set as table notes;
* the `#refs` Div gets the reference-list style;
* every equation gets alt text (PDF/UA): a `quarto-equation` Span's `alt` attribute
  (`$$ ... $$ {#eq-x alt="..."}`), else the equation's TeX source.
]]

local function typst_string(text)
  return '"' .. text:gsub("\\", "\\\\"):gsub('"', '\\"') .. '"'
end

local function raw(text)
  return pandoc.RawBlock("typst", text)
end

local function safe_number(n)
  return (n:gsub("[^%w%.]", ""))
end

local function wrap(call, blocks)
  local out = pandoc.Blocks({ raw(call .. "[") })
  out:extend(blocks)
  out:insert(raw("]"))
  return out
end

local function prefix_caption(el)
  local label = el.attributes["xref-label"]
  if not label then
    return
  end
  local prefix = pandoc.Inlines({ pandoc.Str(label), pandoc.Space(), pandoc.Str("–"), pandoc.Space() })
  local long = el.caption.long
  if #long > 0 and (long[1].t == "Plain" or long[1].t == "Para") then
    local inlines = prefix .. long[1].content
    long[1] = pandoc.Plain(inlines)
  else
    long:insert(1, pandoc.Plain(prefix))
  end
  el.caption.long = long
end

-- A float cannot break across pages, so wide content that may not fit on one page goes on
-- pages of its own in one column instead (`kce-wide-page`); short content floats across
-- both columns at the top of a page (`kce-wide`).  "May not fit" is an estimate of the
-- table's height at the page width from its laid-out column widths (see layout_table):
-- lines per cell from its characters, the tallest cell per row, with a margin for word
-- wrapping, against the text area (482pt) less caption, notes and clearance.
local LINE_PT, ROW_PT, WRAP_MARGIN, FLOAT_MAX_PT = 10.5, 7, 1.25, 360
local WIDE_PT, CELL_CHAR_PT = 740, 3.9

local function estimated_height(tbl)
  local widths = {}
  for i, spec in ipairs(tbl.colspecs) do
    local frac = tonumber(spec[2]) or (1 / #tbl.colspecs)
    widths[i] = math.max(1, (WIDE_PT * frac - 8) / CELL_CHAR_PT)
  end
  local height = 0
  local function rows_height(rows)
    for _, row in ipairs(rows) do
      if row.cells[1] and row.cells[1].attr.classes:includes("kce-continued") then
        goto next_row -- empty where the table starts (add_continuation_row)
      end
      local lines, col = 1, 1
      for _, cell in ipairs(row.cells) do
        local room = 0
        for k = col, col + cell.col_span - 1 do
          room = room + (widths[k] or 1)
        end
        local chars = utf8.len(pandoc.utils.stringify(cell.contents)) or 0
        local blocks = math.max(1, #cell.contents)
        lines = math.max(lines, math.ceil(chars * WRAP_MARGIN / room) + blocks - 1)
        col = col + cell.col_span
      end
      height = height + lines * LINE_PT + ROW_PT
      ::next_row::
    end
  end
  rows_height(tbl.head.rows)
  for _, body in ipairs(tbl.bodies) do
    rows_height(body.head)
    rows_height(body.body)
  end
  rows_height(tbl.foot.rows)
  return height
end

local function is_long_table(tbl)
  return estimated_height(tbl) > FLOAT_MAX_PT
end

local REGION = "kce-wide-page-region"
-- closes a `#kce-wide[` float; notes that follow its table are moved inside (see Blocks)
local WIDE_END = "] // end of kce-wide"
-- closes a `#kce-column-figure[` float; a "Source:" note after the figure is moved inside
local FIGURE_END = "] // end of kce-column-figure"

-- Short wide content floats now; long content becomes a region marker that `Blocks`
-- below turns into one-column pages (merging neighbouring regions).
local function widen(blocks)
  local long = false
  pandoc.Blocks(blocks):walk({
    Table = function(t)
      long = long or is_long_table(t)
    end,
  })
  if long then
    return pandoc.Div(blocks, pandoc.Attr("", { REGION }))
  end
  local out = wrap("#kce-wide", blocks)
  out[#out] = raw(WIDE_END)
  return out
end

local function is_wide(el)
  return el.classes:includes("wide") or el.classes:includes("column-page")
    or el.attributes["column"] == "page"
end

local COLUMN_PT = 354 -- one text column of the landscape page
local PAGE_PT = 740 -- both columns (wide tables and figures)

-- Lines a caption takes (9pt semibold, about 4.5pt a character), as room for kce-image.
local function caption_room(caption, width_pt)
  local chars = utf8.len(pandoc.utils.stringify(caption)) or 0
  local lines = math.max(1, math.ceil(chars * 4.5 / width_pt))
  return math.floor(lines * 12 + 6 + 12 + 12 + 0.5) -- lines, gap, clearance, slack
end

local function image_call(img, fit)
  local args = { typst_string(img.src) }
  local width = img.attributes["width"]
  if width and width:match("^[%d%.]+%%$") then
    table.insert(args, "width: " .. width)
  elseif width and width:match("^[%d%.]+(pt|cm|mm|in|em)$") then
    table.insert(args, "width: " .. width)
  else
    table.insert(args, "width: 100%")
  end
  local alt = img.attributes["fig-alt"] or pandoc.utils.stringify(img.caption)
  if alt ~= "" then
    table.insert(args, "alt: " .. typst_string(alt))
  end
  if fit then
    table.insert(args, "fit: true, caption-room: " .. fit .. "pt")
  end
  -- kce-image (kce.typ) caps the height so figure and caption always fit one column/page
  return pandoc.RawInline("typst", "#kce-image(" .. table.concat(args, ", ") .. ")")
end

function Header(el)
  local number = el.attributes["number"]
  if number and number ~= "" then
    el.content:insert(1, pandoc.RawInline("typst", '#kce-num("' .. safe_number(number) .. '")'))
  end
  return el
end

-- Columns of a sub-figure panel from Quarto's `layout-ncol`, `layout-nrow` or `layout`
-- (the widest row of `[[1,1],[1]]`); one column when none is given, as in Quarto.
local function panel_columns(el, parts)
  local ncol = tonumber(el.attributes["layout-ncol"] or "")
  local nrow = tonumber(el.attributes["layout-nrow"] or "")
  local layout = el.attributes["layout"]
  if not ncol and nrow and nrow > 0 then
    ncol = math.ceil(parts / nrow)
  end
  if not ncol and layout then
    local ok, rows = pcall(pandoc.json.decode, layout)
    if ok and type(rows) == "table" then
      ncol = 0
      for _, row in ipairs(rows) do
        ncol = math.max(ncol, type(row) == "table" and #row or #rows)
      end
    end
  end
  return math.max(1, math.min(ncol or 1, parts))
end

local SUBCAPTION_PT = 16 -- room for a one-line sub-caption under each part

-- A figure of sub-figures (crossref.lua: class `quarto-layout-panel`, parts are Figures
-- with `subfig-label`): one typst figure whose body is a grid of `kce-subfigure` cells,
-- each image with its "(a) caption" under it and the part's label, so `@fig-x-1` links.
local panel_ids = {} -- labels written as raw typst, for the link check in Pandoc below

local function panel_blocks(el, fit)
  local parts = pandoc.List()
  local rest = pandoc.List()
  for _, block in ipairs(el.content) do
    if block.t == "Figure" and block.attributes["subfig-label"] then
      parts:insert(block)
    else
      rest:insert(block)
    end
  end
  local ncol = panel_columns(el, #parts)
  local out = pandoc.Blocks({ raw("#grid(columns: (1fr,) * " .. ncol
    .. ", column-gutter: 1em, row-gutter: 0.8em, align: center + bottom,") })
  for _, part in ipairs(parts) do
    local image_fit = fit and (fit + SUBCAPTION_PT) or nil
    local body = pandoc.Blocks(part.content):walk({
      Image = function(img) return image_call(img, image_fit) end,
    })
    local caption = pandoc.Inlines({ pandoc.Str(part.attributes["subfig-label"]) })
    local long = part.caption.long
    if #long > 0 and (long[1].t == "Plain" or long[1].t == "Para") and #long[1].content > 0 then
      caption:insert(pandoc.Space())
      caption:extend(long[1].content)
    end
    out:insert(raw("[#kce-subfigure(["))
    out:extend(body)
    out:insert(raw("], ["))
    out:insert(pandoc.Plain(caption))
    local label = ""
    if part.identifier ~= "" then
      label = " <" .. part.identifier .. ">"
      panel_ids[part.identifier] = true
    end
    out:insert(raw("])" .. label .. "],"))
  end
  out:insert(raw(")"))
  out:extend(rest)
  return out
end

function Figure(el)
  -- the parts of a sub-figure panel are laid out by their parent (panel_blocks)
  if el.attributes["subfig-label"] then
    return el
  end
  -- only figure images are made column-wide; inline images keep their size.  A floating
  -- figure's image also keeps within the room its page leaves (see kce-image).
  local nested = el.attributes["kce-nested"]
  el.attributes["kce-nested"] = nil
  local fit = nil
  if is_wide(el) or nested == "wide" then
    fit = caption_room(el.caption.long, PAGE_PT)
  elseif not nested then
    fit = caption_room(el.caption.long, COLUMN_PT)
  end
  if el.classes:includes("quarto-layout-panel") then
    el.content = panel_blocks(el, fit)
    for _, key in ipairs({ "layout-ncol", "layout-nrow", "layout" }) do
      el.attributes[key] = nil
    end
  else
    el = el:walk({ Image = function(img) return image_call(img, fit) end })
  end
  prefix_caption(el)
  if is_wide(el) then
    return widen({ el })
  end
  if nested then
    return el
  end
  -- a column figure floats to the top or bottom of a column (kce-column-figure): it is never
  -- split from its caption, and text fills the column when it does not fit under a float
  local out = wrap("#kce-column-figure", { el })
  out[#out] = raw(FIGURE_END)
  return out
end

-- Table layout.  Typst sizes `auto` columns to their content, and the widths pandoc
-- takes from a pipe or grid table only echo the markdown source's line lengths, so every
-- table gets widths computed here from what its cells hold, estimated in characters of
-- the 8.5pt table font:
-- * each column needs at least its longest unbreakable word (no "Profes-/sional"), a short
--   label column (<= SHORT_LABEL characters) its whole label, a number column its longest
--   number;
-- * the rest of the width goes to the columns whose text would still wrap, in proportion
--   to how much longer it is; slack left over goes to the text columns;
-- * number columns (every filled body cell a number, a percentage, a p-value...) are
--   right-aligned, header included, so digits line up.
-- "n = 137" and "Don't know (n)" keep their pieces together (no-break spaces).
local CHAR_PT = 3.9 -- average advance of the table font (Source Sans 3, 8.5pt, bold head)
local INSET_PT = 8 -- horizontal cell inset (4pt each side, see kce.typ)
local SHORT_LABEL = 16
local LONG_CELL = 50 -- cells longer than this wrap anyway; cap what they claim
local NBSP = "\u{00A0}"
local NUMERIC_EXTRA = { "\u{2212}", "\u{2013}", "\u{2014}", "\u{00B1}", NBSP, "\u{2009}",
  "\u{202F}", "\u{2264}", "\u{2265}" }
local NEUTRAL = { [""] = true, ["-"] = true, ["\u{2013}"] = true, ["\u{2014}"] = true,
  ["NA"] = true, ["n/a"] = true, ["\u{2026}"] = true, ["."] = true }

-- Spaces that must not break inside table cells and captions: around "=" ("n = 137") and
-- before a short parenthesised unit ("know (n)", "Score (%)").
local function glue(inlines)
  local out = pandoc.Inlines({})
  for i, el in ipairs(inlines) do
    local nxt, prev = inlines[i + 1], inlines[i - 1]
    if el.t == "Space" and (
      (nxt and nxt.t == "Str" and (nxt.text == "=" or nxt.text:match("^%(.?.?.?%)[%.,;:]?$")))
      or (prev and prev.t == "Str" and prev.text == "=")
    ) then
      out:insert(pandoc.Str(NBSP))
    else
      out:insert(el)
    end
  end
  return out
end

local function cell_text(cell)
  return pandoc.utils.stringify(cell.contents):gsub("^%s+", ""):gsub("%s+$", "")
end

local function is_number(text)
  -- "2, 3, 7" is a list of document numbers, read like text, not a quantity
  if NEUTRAL[text] or not text:find("%d") or text:find("%d, %d") then
    return false
  end
  for _, s in ipairs(NUMERIC_EXTRA) do
    text = text:gsub(s, " ")
  end
  text = text:gsub("^[pP]%s*[<=>]", "") -- "p < 0.001"
  return text:match("^[%d%s%.,%%%(%)%[%];:<>=%+%-%*/]*$") ~= nil
end

local function longest_word(text)
  local best = 0
  for word in text:gmatch("%S+") do -- NBSP is not %s: glued pieces count as one word
    best = math.max(best, utf8.len(word) or #word)
  end
  return best
end

-- Per column: natural (one-line) length, minimum length, and whether it holds numbers.
local function measure(tbl)
  local n = #tbl.colspecs
  local cols = {}
  for i = 1, n do
    cols[i] = { natural = 1, minimum = 1, word = 1, numbers = 0, texts = 0 }
  end
  local function scan(rows, is_body)
    for _, row in ipairs(rows) do
      local col = 1
      for _, cell in ipairs(row.cells) do
        local text = cell_text(cell)
        local len = utf8.len(text) or #text
        local c = cols[col]
        if c and cell.col_span == 1 then
          c.natural = math.max(c.natural, math.min(len, LONG_CELL))
          c.word = math.max(c.word, longest_word(text))
          if is_body and not NEUTRAL[text] then
            if is_number(text) then
              c.numbers = c.numbers + 1
              c.minimum = math.max(c.minimum, len)
            else
              c.texts = c.texts + 1
            end
          end
        end
        col = col + cell.col_span
      end
    end
  end
  scan(tbl.head.rows, false)
  for _, body in ipairs(tbl.bodies) do
    scan(body.head, false)
    scan(body.body, true)
  end
  scan(tbl.foot.rows, false)
  for _, c in ipairs(cols) do
    c.numeric = c.numbers > 0 and c.texts == 0
    c.minimum = math.max(c.minimum, c.word + 1) -- +1: bold and capitals run wider
    if c.numeric then
      c.natural = c.minimum -- its header may wrap ("Brussels / (n = 137)"); numbers never
    elseif c.natural <= SHORT_LABEL then
      c.minimum = c.natural
    end
  end
  return cols
end

local function column_widths(cols, width_pt)
  local n = #cols
  local avail = (width_pt - INSET_PT * n) / CHAR_PT
  local widths, min_sum, want_sum = {}, 0, 0
  for i, c in ipairs(cols) do
    widths[i] = c.minimum
    min_sum = min_sum + c.minimum
    want_sum = want_sum + (c.natural - math.min(c.natural, c.minimum))
  end
  local extra = avail - min_sum
  if extra > 0 and want_sum > 0 then
    local share = math.min(1, extra / want_sum)
    for i, c in ipairs(cols) do
      widths[i] = widths[i] + share * (c.natural - math.min(c.natural, c.minimum))
    end
    extra = extra - share * want_sum
  end
  if extra > 0 then -- slack: to the text columns (all columns if there are none)
    local weight = 0
    for _, c in ipairs(cols) do
      weight = weight + (c.numeric and 0 or c.natural)
    end
    for i, c in ipairs(cols) do
      local w = weight > 0 and (c.numeric and 0 or c.natural / weight) or 1 / n
      widths[i] = widths[i] + extra * w
    end
  end
  local total, chars = 0, {}
  for i = 1, n do
    chars[i] = widths[i] + INSET_PT / CHAR_PT
    total = total + chars[i]
  end
  for i = 1, n do
    widths[i] = math.floor(chars[i] / total * 10000 + 0.5) / 10000
  end
  return widths
end

-- pandoc's typst writer puts a cell's first list marker right after the cell's "[" and
-- indents that item's continuation lines less than the marker, so typst ends the first
-- item at its first line break. Lists inside table cells become explicit list calls.
local function list_call(fn, items)
  local parts = {}
  for _, item in ipairs(items) do
    local body = pandoc.write(pandoc.Pandoc(item), "typst")
    table.insert(parts, "[" .. (body:gsub("%s+$", "")) .. "]")
  end
  return pandoc.RawBlock("typst", "#" .. fn .. "(" .. table.concat(parts, ", ") .. ")")
end

local cell_lists = {
  BulletList = function(l) return list_call("list", l.content) end,
  OrderedList = function(l) return list_call("enum", l.content) end,
}

local function layout_table(tbl, width_pt)
  tbl = tbl:walk({ Inlines = glue })
  local cols = measure(tbl)
  local widths = column_widths(cols, width_pt)
  for i = 1, #tbl.colspecs do
    local align = tbl.colspecs[i][1]
    if cols[i].numeric and align ~= "AlignCenter" then
      align = "AlignRight"
    elseif align == "AlignDefault" then
      align = "AlignLeft"
    end
    tbl.colspecs[i] = { align, widths[i] }
  end
  -- a group row ("Federal: policy documents" across all columns) reads from the left,
  -- whatever the alignment of the column it starts in
  local function left_spans(rows)
    for _, row in ipairs(rows) do
      for _, cell in ipairs(row.cells) do
        if cell.col_span > 1 and cell.alignment == "AlignDefault" then
          cell.alignment = "AlignLeft"
        end
      end
    end
  end
  for _, body in ipairs(tbl.bodies) do
    left_spans(body.head)
    left_spans(body.body)
  end
  return tbl:walk(cell_lists) -- after measuring: widths come from the lists' words
end

-- "Table N (continued)" above the repeated header on every page or column a table flows
-- onto: every table's header gets a first row across all columns (kce-continued, empty for
-- unnumbered tables, so that row 1 is always the real header the template styles), and a
-- numbered table's first body cell carries a marker (kce-table-start) whose position tells
-- the continuation row whether it is laid out where the table starts.  The marker sits in the
-- first body row, not before the table: typst may move the header and that row on to the
-- next column while the figure itself starts in the previous one.
local function add_continuation_row(tbl)
  local label, id = tbl.attributes["xref-label"], tbl.identifier
  local content = {}
  if label and id ~= "" then
    local call = "#kce-continued(" .. typst_string(label) .. ", " .. typst_string(id) .. ")"
    content = { pandoc.Plain({ pandoc.RawInline("typst", call) }) }
    local first = tbl.bodies[1] and (tbl.bodies[1].head[1] or tbl.bodies[1].body[1])
    local cell = first and first.cells[1]
    if cell then
      local marker = pandoc.RawInline("typst", "#kce-table-start(" .. typst_string(id) .. ");")
      local block = cell.contents[1]
      if block and (block.t == "Plain" or block.t == "Para") then
        block.content:insert(1, marker)
      else
        cell.contents:insert(1, pandoc.Plain({ marker }))
      end
    end
  end
  local cell = pandoc.Cell(content, "AlignDefault", 1, #tbl.colspecs, { class = "kce-continued" })
  tbl.head.rows:insert(1, pandoc.Row({ cell }))
  return tbl
end

function Table(el)
  local wide = is_wide(el) or el.attributes["kce-in-wide"] ~= nil
  el.attributes["kce-in-wide"] = nil
  el = add_continuation_row(layout_table(el, wide and PAGE_PT or COLUMN_PT))
  prefix_caption(el)
  if is_wide(el) then
    return widen({ el })
  end
  return el
end

function Div(el)
  if el.classes:includes("callout") and el.attributes["callout-type"] then
    local title_div, body_div = el.content[1], el.content[2]
    local out = pandoc.Blocks({
      raw("#kce-callout(kind: " .. typst_string(el.attributes["callout-type"]) .. ", title: ["),
    })
    out:extend(title_div.content)
    out:insert(raw("])["))
    out:extend(body_div.content)
    out:insert(raw("]"))
    return out
  end
  if el.identifier == "refs" then
    return wrap("#kce-references", { el })
  end
  if el.classes:includes("chapter-authors") then
    return wrap("#kce-chapter-authors", el.content)
  end
  if el.classes:includes("table-notes") then
    return wrap("#kce-table-notes", el.content)
  end
  if is_wide(el) then
    return widen(el.content)
  end
end

local NOTE_STARTS = { ["Source:"] = true, ["Sources:"] = true, ["Note:"] = true, ["Notes:"] = true }

local function starts_as_note(block)
  if block.t ~= "Para" or #block.content == 0 then
    return false
  end
  local first = block.content[1]
  if first.t == "Emph" or first.t == "Strong" then
    first = first.content[1]
  end
  return first ~= nil and first.t == "Str" and NOTE_STARTS[first.text] == true
end

local function is_table_like(block)
  if block.t == "Table" then
    return true
  end
  -- a wide table arrives wrapped: a RawBlock "]" closes it
  return block.t == "RawBlock"
    and (block.text == "]" or block.text == WIDE_END or block.text == FIGURE_END)
end

local function is_region(block)
  return block.t == "Div" and block.classes:includes(REGION)
end

local function text_size(block)
  local n = 0
  pandoc.Blocks({ block }):walk({ Str = function(s) n = n + utf8.len(s.text) end })
  return n
end

-- Notes after tables, and one-column pages for long wide tables: text between two such
-- tables (a heading and a short paragraph) joins them on the one-column pages rather than
-- leaving a nearly empty two-column page between them.
local MERGE_BUDGET = 900
local LEAD_IN = 400

function Blocks(blocks)
  local out = pandoc.Blocks({})
  local i = 1
  local after_table = false
  while i <= #blocks do
    local block = blocks[i]
    if is_region(block) then
      local region = pandoc.Blocks(block.content)
      -- a section heading (and a short lead-in) just before the table goes with it onto the
      -- one-column pages instead of being stranded at the foot of a column
      local lead = pandoc.Blocks({})
      local last = out[#out]
      if last and (last.t == "Para" or last.t == "Plain") and text_size(last) <= LEAD_IN
          and out[#out - 1] and out[#out - 1].t == "Header" and out[#out - 1].level > 1 then
        lead:insert(1, out:remove(#out))
        last = out[#out]
      end
      if last and last.t == "Header" and last.level > 1 then
        lead:insert(1, out:remove(#out))
      end
      lead:extend(region)
      region = lead
      i = i + 1
      while true do
        -- notes belong to the table they follow
        while i <= #blocks and starts_as_note(blocks[i]) do
          region:extend(wrap("#kce-table-notes", { blocks[i] }))
          i = i + 1
        end
        local j, budget = i, 0
        while j <= #blocks and not is_region(blocks[j]) do
          local b = blocks[j]
          if b.t == "Header" and b.level == 1 then
            break
          end
          budget = budget + text_size(b)
          if budget > MERGE_BUDGET then
            break
          end
          j = j + 1
        end
        if j <= #blocks and is_region(blocks[j]) and budget <= MERGE_BUDGET then
          for k = i, j - 1 do
            region:insert(blocks[k])
          end
          region:extend(blocks[j].content)
          i = j + 1
        else
          break
        end
      end
      out:extend(wrap("#kce-wide-page", region))
      after_table = false
    elseif after_table and starts_as_note(block) then
      local last = out[#out]
      if last.t == "RawBlock" and (last.text == WIDE_END or last.text == FIGURE_END) then
        -- the note floats with its table/figure instead of staying behind in the column
        out:remove(#out)
        out:extend(wrap("#kce-table-notes", { block }))
        out:insert(last)
      else
        out:extend(wrap("#kce-table-notes", { block }))
      end
      i = i + 1
    else
      out:insert(block)
      after_table = is_table_like(block)
      i = i + 1
    end
  end
  return out
end

-- First pass: a table inside a `.column-page` / `.wide` Div is laid out for the page width;
-- a figure inside such a Div (it floats with the Div) or inside a callout box stays where it
-- is instead of becoming a column float of its own.
local function mark_wide_tables(div)
  local wide = is_wide(div)
  if wide or div.classes:includes("callout") then
    return div:walk({
      Table = function(t)
        if wide then
          t.attributes["kce-in-wide"] = "1"
        end
        return t
      end,
      Figure = function(f)
        f.attributes["kce-nested"] = wide and "wide" or "box"
        return f
      end,
    })
  end
end

-- typst refuses a link to a label that does not exist (e.g. citeproc's link for an
-- unknown citation key, already reported as a warning): keep such links' text only.
function Pandoc(doc)
  local ids = {}
  local function note(el)
    if el.identifier and el.identifier ~= "" then
      ids[el.identifier] = true
    end
  end
  doc:walk({ Block = note, Inline = note })
  return doc:walk({
    Link = function(link)
      local target = link.target:match("^#(.+)$")
      if target and not ids[target] and not panel_ids[target] then
        return link.content
      end
    end,
  })
end

-- Equations carry alt text so that the PDF can be tagged (PDF/UA-1 requires it): set
-- locally with `set math.equation(alt: ...)` around the one equation.
local EQ_OPEN = "#[#set math.equation(alt: "

local function equation_alt(math, alt)
  local text = (alt or math.text):gsub("%s*\\qquad%s*%(%d+[%.%d]*%)%s*$", "")
  text = text:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  return {
    pandoc.RawInline("typst", EQ_OPEN .. typst_string(text) .. "); "),
    math,
    pandoc.RawInline("typst", "]"),
  }
end

local function is_wrapped(prev)
  return prev and prev.t == "RawInline" and prev.text:sub(1, #EQ_OPEN) == EQ_OPEN
end

local function EquationSpan(el)
  if el.classes:includes("quarto-equation") and el.attributes["alt"] then
    local alt = el.attributes["alt"]
    el.content = el.content:walk({
      Math = function(math)
        return equation_alt(math, alt)
      end,
    })
    return el
  end
end

local function EquationInlines(inlines)
  local out = pandoc.Inlines({})
  for _, el in ipairs(inlines) do
    if el.t == "Math" and not is_wrapped(out[#out]) then
      out:extend(equation_alt(el))
    else
      out:insert(el)
    end
  end
  return out
end

return {
  { Span = EquationSpan },
  { Inlines = EquationInlines },
  { Div = mark_wide_tables },
  { Header = Header, Figure = Figure, Table = Table, Div = Div, Blocks = Blocks },
  { Pandoc = Pandoc },
}
